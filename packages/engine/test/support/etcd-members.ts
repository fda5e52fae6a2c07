import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
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
  /**
   * Cuts `member` off from the other members (their raft traffic, both
   * ways), as a network partition does, while its clients still reach it:
   * it loses its leader, the others keep their quorum. Needs a cluster
   * started with `partitionable`.
   */
  isolate(member: EtcdMember): void;
  /** Ends an isolation: the member rejoins. */
  heal(): void;
  stop(): Promise<void>;
}

export interface EtcdClusterOptions {
  /**
   * Each member runs as a user of its own (uid 64001, 64002, ...), so that
   * isolate() can tell its packets from the others' with iptables' owner
   * match: on loopback every member's traffic comes from 127.0.0.1. Needs
   * root, iptables and ss (tools/ci/setup/etcd.packages).
   */
  readonly partitionable?: boolean;
}

/** True when isolate() can work here: root, with iptables. In CI its absence is a failure, not a skip. */
export function partitionAvailable(): boolean {
  const found =
    process.getuid?.() === 0 &&
    spawnSync('iptables', ['-L', 'OUTPUT', '-n'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!found && process.env['CI'] === 'true') throw new Error('cutting an etcd member off needs root, iptables and ss (tools/ci/setup/etcd.packages lists iptables and iproute2)');
  return found;
}

/** The first of the uids partitionable members run as (none of them in /etc/passwd). */
const MEMBER_UID_BASE = 64000;

/** Starts `size` members forming one cluster and waits until it is healthy. */
export async function startEtcdCluster(size = 1, options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-etcd-'));
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, index) => ({
    name: `m${index + 1}`,
    clientUrl: `http://127.0.0.1:${ports[index * 2]}`,
    peerUrl: `http://127.0.0.1:${ports[index * 2 + 1]}`,
    peerPort: ports[index * 2 + 1] as number,
    uid: options.partitionable ? MEMBER_UID_BASE + index + 1 : undefined,
  }));
  if (options.partitionable) {
    // Each member makes its own data dir in here.
    await chmod(dir, 0o711);
    for (const spec of specs) {
      const own = join(dir, spec.name);
      await mkdir(own, { mode: 0o700 });
      await chown(own, spec.uid as number, spec.uid as number);
    }
  }
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
      ], spec.uid),
  );
  members.forEach((member) => member.start());
  try {
    await Promise.all(members.map((member) => waitHealthy(member.clientUrl, member)));
  } catch (error) {
    await Promise.all(members.map((member) => member.stop()));
    throw error;
  }
  const clientUrls = members.map((member) => member.clientUrl);
  const partition = new Partition(`CVT${process.pid}x${ports[0]}`);
  return {
    members,
    clientUrls,
    seeds: clientUrls.join(','),
    isolate(member) {
      const index = members.indexOf(member as Member);
      const cut = specs[index];
      if (!cut?.uid) throw new Error('isolate() needs a cluster started with partitionable: true');
      // Its packets to the others' peer ports, and theirs to its own.
      const rules = specs
        .filter((other) => other !== cut)
        .flatMap((other): Array<readonly [number, number]> => [
          [cut.uid as number, other.peerPort],
          [other.uid as number, cut.peerPort],
        ]);
      partition.drop(
        rules,
        specs.map((spec) => spec.peerPort),
      );
    },
    heal: () => partition.heal(),
    async stop() {
      partition.heal();
      await Promise.all(members.map((member) => member.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * iptables rules in a chain of their own, jumped to from OUTPUT, dropping
 * the packets a uid sends to a port on loopback: all removed by heal().
 * Connections already open are reset: raft streams run both ways over a
 * connection one member opened, and the other's packets on it (from its
 * peer port, to a port the opener picked) match no rule, so a cut-off
 * follower went on receiving its leader's entries.
 */
class Partition {
  readonly #chain: string;
  #active = false;

  constructor(chain: string) {
    this.#chain = chain;
  }

  drop(rules: ReadonlyArray<readonly [uid: number, port: number]>, resetPorts: readonly number[]): void {
    this.heal();
    iptables(['-N', this.#chain]);
    this.#active = true;
    for (const [uid, port] of rules) {
      iptables(['-A', this.#chain, '-o', 'lo', '-p', 'tcp', '-m', 'owner', '--uid-owner', String(uid), '--dport', String(port), '-j', 'DROP']);
    }
    iptables(['-I', 'OUTPUT', '-j', this.#chain]);
    const filter = resetPorts.map((port) => `sport = :${port} or dport = :${port}`).join(' or ');
    const reset = spawnSync('ss', ['-K', '-t', `( ${filter} )`], { encoding: 'utf8' });
    if (reset.status !== 0) throw new Error(`ss -K failed: ${reset.stderr || reset.error?.message}`);
  }

  heal(): void {
    if (!this.#active) return;
    this.#active = false;
    iptables(['-D', 'OUTPUT', '-j', this.#chain]);
    iptables(['-F', this.#chain]);
    iptables(['-X', this.#chain]);
  }
}

function iptables(args: readonly string[]): void {
  const result = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`iptables ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
}

class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly #args: readonly string[];
  /** The uid it runs as, when not this process's (see EtcdClusterOptions.partitionable). */
  readonly #uid: number | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  output = '';

  constructor(name: string, clientUrl: string, args: readonly string[], uid?: number) {
    this.name = name;
    this.clientUrl = clientUrl;
    this.#args = args;
    this.#uid = uid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start(): void {
    const child = spawn('etcd', [...this.#args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(this.#uid === undefined ? {} : { uid: this.#uid, gid: this.#uid }),
    });
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
