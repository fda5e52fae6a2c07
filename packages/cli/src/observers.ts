import type { Engine } from '@converge/engine';
import { startConvergedStatusFile, type RunFile } from './converged-status-file.js';
import { startGraphvizFile } from './graphviz-file.js';
import type { HttpEndpoint } from './http-endpoint.js';
import type { ListenAddress } from './listen-address.js';
import { serveMetrics } from './metrics/metrics-server.js';
import type { Reporter } from './reporter.js';
import { serveLiveView } from './ui/live-view-server.js';

export interface ObserverFlags {
  /** --ui ADDRESS: the live web view. */
  readonly ui?: ListenAddress;
  /** --prometheus ADDRESS: metrics for Prometheus. */
  readonly prometheus?: ListenAddress;
  /** --converged-status-file PATH: the converged state, appended at each change. */
  readonly convergedStatusFile?: string;
  /** --graphviz FILE: the running graph in dot, written at the start and at each reload. */
  readonly graphviz?: string;
  /** --converger-timeout: -1 (the default) never counts the graph as converged. */
  readonly convergerTimeout: number;
}

/** The HTTP endpoints and files watching a run; `close` ends them all. */
export interface Observers {
  close(): Promise<void>;
}

/**
 * Starts the web view and the metrics endpoint asked for, and the files
 * written as the run goes, before the graph runs so they see it from its
 * first event, and says where they listen. Returns undefined (having
 * reported why, and closed what had started) when an address cannot be
 * bound or a file cannot be written: the run should stop before applying
 * anything.
 */
export async function startObservers(
  engine: Engine,
  flags: ObserverFlags,
  graphName: string,
  reporter: Reporter,
): Promise<Observers | undefined> {
  const started: Array<HttpEndpoint | RunFile> = [];
  const close = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((endpoint) => endpoint.close()));
  };
  const convergedDetection = flags.convergerTimeout >= 0;
  const endpoints = [
    { what: 'web view', option: '--ui', address: flags.ui, serve: (address: ListenAddress) => serveLiveView(engine, address, graphName, convergedDetection) },
    { what: 'metrics', option: '--prometheus', address: flags.prometheus, serve: (address: ListenAddress) => serveMetrics(engine, address) },
  ];
  for (const { what, option, address, serve } of endpoints) {
    if (!address) continue;
    try {
      const endpoint = await serve(address);
      started.push(endpoint);
      reporter.say(`${what} at ${endpoint.url}`);
    } catch (error) {
      reporter.failure({
        code: 'ERR_LISTEN',
        message: `cannot serve the ${what} on ${address.host}:${address.port}: ${error instanceof Error ? error.message : String(error)}`,
        hint: `choose another address with ${option} HOST:PORT (port 0 picks a free one)`,
      });
      await close();
      return undefined;
    }
    if (!address.loopback) {
      reporter.say(
        `WARNING: the ${what} listens on ${address.host}, which other machines can reach, and has no authentication: ` +
          'anyone who can connect sees the graph and its resources\' states and errors. Bind to 127.0.0.1 unless this network is trusted.',
      );
    }
  }
  if (!convergedDetection && (flags.ui || flags.prometheus)) {
    // QA: every resource green, yet the badge said "not converged" and converge_converged stayed 0.
    const effects = [flags.ui && 'the web view says so', flags.prometheus && 'converge_converged stays 0'].filter(Boolean);
    reporter.say(`converged detection is off (no --converger-timeout, as mgmt's default): ${effects.join(' and ')}; add --converger-timeout N (seconds with nothing changed or running) to turn it on`);
  }
  const say = (message: string): void => reporter.say(message);
  const files = [
    { option: '--converged-status-file', path: flags.convergedStatusFile, start: (path: string) => startConvergedStatusFile(engine, path, say) },
    { option: '--graphviz', path: flags.graphviz, start: (path: string) => startGraphvizFile(engine, path, graphName, say) },
  ];
  for (const { option, path, start } of files) {
    if (path === undefined) continue;
    try {
      started.push(await start(path));
    } catch (error) {
      reporter.failure({ code: 'ERR_RUN_FILE', message: `${option} ${path}: cannot write it: ${error instanceof Error ? error.message : String(error)}; nothing was applied` });
      await close();
      return undefined;
    }
  }
  return { close };
}
