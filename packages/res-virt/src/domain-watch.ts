import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@converge/engine-api';
import type { LibvirtConnection } from './libvirt-connection.js';
import { virshSharesDriver } from './virsh.js';
import { dyingWithParent, onPath } from './dies-with-parent.js';

export interface DomainWatchOptions {
  readonly uri: string;
  readonly name: string;
  readonly connection: LibvirtConnection;
  readonly log: Logger;
  /** Called once the watch is live, then on every possible change. */
  readonly onChange: () => void;
  readonly signal: AbortSignal;
  /** How often to poll where events cannot be had. */
  readonly pollMs?: number;
}

const DEFAULT_POLL_MS = 500;
/**
 * Beside virsh's events on a real URI: a live change of cpus or memory
 * (`virsh setvcpus --live`, `setmem`), of autostart and of the definition
 * alone (`--config`) sends no event, so the domain is also looked at this
 * often.
 */
const LIVE_POLL_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 10_000;
/** A virsh that ran this long was healthy: its next restart waits the least again. */
const HEALTHY_RUN_MS = 10_000;

/**
 * Watches one domain until `signal` aborts. @unraid/libvirt has no event
 * API, so lifecycle events come from a supervised `virsh event --loop --all`
 * child. Where virsh cannot see the same hypervisor (the per-process test
 * driver) or is not installed, the domain is polled through the connection.
 */
export async function watchDomain(options: DomainWatchOptions): Promise<void> {
  if (!virshSharesDriver(options.uri)) return pollDomain(options);
  // Both end together: when one fails, the other stops too.
  const both = new AbortController();
  const stop = (): void => both.abort();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    await Promise.all([
      watchWithVirsh({ ...options, signal: both.signal }).finally(stop),
      pollDomain({ ...options, signal: both.signal, pollMs: LIVE_POLL_MS, quietStart: true }).finally(stop),
    ]);
  } finally {
    options.signal.removeEventListener('abort', stop);
  }
}

async function watchWithVirsh(options: DomainWatchOptions): Promise<void> {
  const { uri, name, log, onChange, signal } = options;
  const marker = `for domain '${name}':`;
  let delay = RESTART_DELAY_MS;
  const virsh = onPath('virsh');
  if (virsh === undefined) {
    log.warn('virsh is not installed (libvirt-clients): polling the domain instead of following its events');
    return pollDomain(options);
  }
  const [command, ...args] = dyingWithParent([virsh, '-c', uri, 'event', '--loop', '--all']);
  while (!signal.aborted) {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await Promise.race([
      once(child, 'spawn').then(() => undefined),
      once(child, 'error').then(([error]) => error as NodeJS.ErrnoException),
    ]);
    if (started) throw started;
    const startedAt = Date.now();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes(marker)) onChange();
    });
    const exited = once(child, 'close');
    // Live now; after a restart, changes while no virsh listened would be lost without this.
    onChange();
    const stop = (): void => void child.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    const [code, killedBy] = (await exited) as [number | null, NodeJS.Signals | null];
    signal.removeEventListener('abort', stop);
    if (signal.aborted) return;
    delay = Date.now() - startedAt > HEALTHY_RUN_MS ? RESTART_DELAY_MS : Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    log.warn(`virsh event ended (${killedBy ?? `code ${code}`}); restarting it in ${delay} ms`, { stderr: stderr.trim() });
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      return; // aborted while waiting
    }
  }
}

/** Everything about the domain that a change from outside could touch. */
async function snapshot(connection: LibvirtConnection, name: string): Promise<string> {
  const domain = await connection.lookup(name);
  if (!domain) return 'absent';
  // The definition too: libvirt sends no event for a change to it alone (`virsh detach-disk --config`, `setmaxmem --config`).
  const [info, xml, config, persistent, autostart] = await Promise.all([
    connection.info(domain),
    connection.liveXml(domain),
    connection.configXml(domain),
    connection.isPersistent(name),
    connection.isAutostart(name),
  ]);
  return JSON.stringify([info.state, info.nrVirtCpu, info.memory, info.maxMem, persistent, autostart, xml, config]);
}

/** `quietStart`: the first look only notes the domain (another watch has sent the first event). */
async function pollDomain(options: DomainWatchOptions & { readonly quietStart?: boolean }): Promise<void> {
  const { connection, name, onChange, signal } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let last: string | undefined;
  let first = options.quietStart === true;
  while (!signal.aborted) {
    let current: string;
    try {
      current = await snapshot(connection, name);
    } catch (error) {
      // The domain can vanish between two calls of one snapshot (a transient
      // domain being destroyed): that is a change, seen on the next round.
      current = `unreadable: ${String(error)}`;
    }
    if (current !== last) {
      last = current;
      if (!first) onChange();
    }
    first = false;
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return;
    }
  }
}
