import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Real etcd members for tests: each on free loopback ports with its data in
 * a temp dir. No mocks: the world's tests talk to the etcd Debian ships
 * (tools/ci/setup/etcd.packages).
 */

/** True when `etcd` can run here. In CI a missing etcd is a failure, not a skip. */
export function etcdAvailable(): boolean {
  const found = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found && process.env['CI'] === 'true') throw new Error('etcd is not installed: tools/ci/setup/etcd.packages lists etcd-server');
  return found;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  /** Stops the member: SIGTERM, then SIGKILL if it has not exited within 2 s. */
  stop(): Promise<void>;
  /** Starts a stopped member again with its data (same ports). */
  restart(): Promise<void>;
  /** Removes a stopped member's data, as a lost disk would: a single member restarted then is a new, empty cluster. */
  wipeData(): Promise<void>;
  /** Freezes the member (SIGSTOP): its connections stay open but it answers nothing, as when it hangs or is cut off. */
  pause(): void;
  /** Lets a paused member go on (SIGCONT). */
  resume(): void;
  /** How many watchers clients have on this member now (its metrics). */
  watchers(): Promise<number>;
  readonly running: boolean;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly clientUrls: readonly string[];
  /** `--seeds` value: every member's client URL. */
  readonly seeds: string;
  stop(): Promise<void>;
}

/** Starts `size` members forming one cluster and waits until it is healthy. */
export async function startEtcdCluster(size = 1): Promise<EtcdCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-etcd-'));
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, index) => ({
    name: `m${index + 1}`,
    clientUrl: `http://127.0.0.1:${ports[index * 2]}`,
    peerUrl: `http://127.0.0.1:${ports[index * 2 + 1]}`,
  }));
  const initialCluster = specs.map((spec) => `${spec.name}=${spec.peerUrl}`).join(',');
  const members = specs.map(
    (spec) =>
      new Member(spec.name, spec.clientUrl, [
        `--name=${spec.name}`,
        `--data-dir=${join(dir, spec.name)}`,
        `--listen-client-urls=${spec.clientUrl}`,
        `--advertise-client-urls=${spec.clientUrl}`,
        `--listen-peer-urls=${spec.peerUrl}`,
        `--initial-advertise-peer-urls=${spec.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=converge-test`,
        `--initial-cluster-state=new`,
        // Fast elections keep failover tests short.
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--log-level=error',
      ]),
  );
  members.forEach((member) => member.start());
  try {
    await Promise.all(members.map((member) => waitHealthy(member.clientUrl, member)));
  } catch (error) {
    await Promise.all(members.map((member) => member.stop()));
    throw error;
  }
  const clientUrls = members.map((member) => member.clientUrl);
  return {
    members,
    clientUrls,
    seeds: clientUrls.join(','),
    async stop() {
      await Promise.all(members.map((member) => member.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly #args: readonly string[];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  output = '';

  constructor(name: string, clientUrl: string, args: readonly string[]) {
    this.name = name;
    this.clientUrl = clientUrl;
    this.#args = args;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start(): void {
    const child = spawn('etcd', [...this.#args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output = (this.output + chunk).slice(-4000);
    });
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.#child = child;
  }

  async wipeData(): Promise<void> {
    if (this.running) throw new Error(`stop ${this.name} before wiping its data`);
    const dataDir = this.#args.find((arg) => arg.startsWith('--data-dir='))?.slice('--data-dir='.length);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }

  async restart(): Promise<void> {
    if (this.running) return;
    this.start();
    await waitHealthy(this.clientUrl, this);
  }

  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.#child?.kill('SIGCONT');
  }

  async watchers(): Promise<number> {
    const response = await fetch(`${this.clientUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    const line = (await response.text()).split('\n').find((text) => text.startsWith('etcd_debugging_mvcc_watcher_total '));
    return Number(line?.split(' ')[1] ?? 0);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    // A paused member would not act on SIGTERM until it goes on.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    // etcd may ignore SIGTERM for seconds while it hands over leadership.
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}

async function waitHealthy(clientUrl: string, member: Member, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!member.running) throw new Error(`etcd ${member.name} exited:\n${member.output}`);
    try {
      const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`etcd ${member.name} at ${clientUrl} was not healthy within ${timeoutMs} ms:\n${member.output}`);
}

/** Distinct free loopback ports (held open together so none repeats). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}
