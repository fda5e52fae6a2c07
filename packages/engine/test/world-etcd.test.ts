import type { Logger, WorldChange } from '@converge/engine-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdWorld, WorldUnreachableError } from '../src/world/etcd-world.js';
import { etcdAvailable, partitionAvailable, startEtcdCluster, type EtcdCluster, type EtcdMember } from './support/etcd-members.js';

const available = etcdAvailable();
const partitionable = available && partitionAvailable();
if (available && !partitionable) console.warn('not root or no iptables: skipping the etcd partition tests (tools/ci/setup/etcd.packages)');
if (!available) console.warn('etcd is not installed: skipping the etcd world tests (tools/ci/setup/etcd.packages)');

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const worlds: EtcdWorld[] = [];
function openWorld(seeds: readonly string[], options: { hostname?: string; namespace?: string; lines?: LogLine[] } = {}): EtcdWorld {
  const world = new EtcdWorld({
    hostname: options.hostname ?? 'h1',
    seeds,
    namespace: options.namespace ?? '/test/',
    log: recordingLogger(options.lines ?? []),
    leaseTtl: 2,
  });
  worlds.push(world);
  return world;
}

/** Reads a watch into `seen` in the background until `signal` aborts. */
function follow(world: EtcdWorld, prefix: string, signal: AbortSignal): { batches: WorldChange[][]; done: Promise<void> } {
  const batches: WorldChange[][] = [];
  const done = (async () => {
    for await (const batch of world.watch(prefix, signal)) batches.push([...batch]);
  })();
  return { batches, done };
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function eventuallyAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Writes `key` through `writer`, trying again until a quorum takes it (after an election, say). */
async function writeSoon(writer: EtcdWorld, key: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await writer.set(key, 'x').then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`could not write ${key}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A world watching `k/` on a cluster of three, the member its watch streams
 * from (the one with a watcher: each test has its own cluster), and a
 * writer through the other two; `k/before` written and seen.
 */
async function watchThroughOneMember(etcd: EtcdCluster, namespace: string, lines: LogLine[]) {
  const world = openWorld(etcd.clientUrls, { namespace, lines });
  const stop = new AbortController();
  const { batches, done } = follow(world, 'k/', stop.signal);
  await eventually(() => batches.length === 1);
  let serving: EtcdMember | undefined;
  await eventuallyAsync(async () => {
    const counts = await Promise.all(etcd.members.map((member) => member.watchers()));
    serving = counts.reduce((sum, count) => sum + count, 0) === 1 ? etcd.members[counts.indexOf(1)] : undefined;
    return serving !== undefined;
  }, 10_000);
  const member = serving as EtcdMember;
  const writer = openWorld(etcd.members.filter((other) => other !== member).map((other) => other.clientUrl), { namespace, hostname: 'writer' });
  const seen = (key: string): boolean => batches.flat().some((change) => change.key === key);
  await writeSoon(writer, 'k/before');
  await eventually(() => seen('k/before'));
  return { world, member, writer, batches, seen, stop, done };
}

afterEach(async () => {
  await Promise.all(worlds.splice(0).map((world) => world.close()));
});

describe.skipIf(!available)('EtcdWorld on one etcd member', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster(1);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('gets, sets, lists and deletes keys inside its namespace only', async () => {
    const world = openWorld(etcd.clientUrls, { namespace: '/a/' });
    const other = openWorld(etcd.clientUrls, { namespace: '/b/' });
    await world.set('kv/x', '1');
    await world.set('kv/y', '2');
    await other.set('kv/x', 'other');
    expect(await world.get('kv/x')).toBe('1');
    expect(await world.get('kv/missing')).toBeUndefined();
    expect([...(await world.list('kv/'))]).toEqual([
      ['kv/x', '1'],
      ['kv/y', '2'],
    ]);
    await world.delete('kv/x');
    await world.delete('kv/never');
    expect(await world.get('kv/x')).toBeUndefined();
    expect(await other.get('kv/x')).toBe('other');
    // What a resource waiting for it tells the user (a kv's watch before etcd answers).
    expect(world.where).toBe(`etcd at ${etcd.clientUrls.join(',')}`);
  });

  it('watches in two phases: what is there first, then each change', async () => {
    const writer = openWorld(etcd.clientUrls, { namespace: '/w/' });
    const reader = openWorld(etcd.clientUrls, { namespace: '/w/' });
    await writer.set('p/one', '1');
    await writer.set('q/outside', 'x');
    const stop = new AbortController();
    const { batches, done } = follow(reader, 'p/', stop.signal);
    await eventually(() => batches.length === 1);
    expect(batches[0]).toEqual([{ key: 'p/one', value: '1' }]);
    await writer.set('p/two', '2');
    await writer.delete('p/one');
    await writer.set('q/outside', 'y');
    await eventually(() => batches.flat().length >= 3);
    expect(batches.slice(1).flat()).toEqual([
      { key: 'p/two', value: '2' },
      { key: 'p/one', value: undefined },
    ]);
    stop.abort();
    await done;
  });

  it('binds leased keys to the process: closing the world removes them', async () => {
    const world = openWorld(etcd.clientUrls, { namespace: '/l/' });
    const observer = openWorld(etcd.clientUrls, { namespace: '/l/' });
    await world.setLeased('status/h1', 'converged');
    expect(await observer.get('status/h1')).toBe('converged');
    await world.close();
    expect(await observer.get('status/h1')).toBeUndefined();
  });

  it('removes its leased keys at once when closed while it watches (QA: the cancelled watch counted as a failure of the member, which then refused the revoke: the keys stayed the TTL)', async () => {
    const lines: LogLine[] = [];
    const world = openWorld(etcd.clientUrls, { namespace: '/lw/', lines });
    const observer = openWorld(etcd.clientUrls, { namespace: '/lw/' });
    const watching = new AbortController();
    const { batches, done } = follow(world, 'exports/', watching.signal);
    await eventually(() => batches.length > 0);
    await world.setLeased('status/h1', 'converged');
    expect(await observer.get('status/h1')).toBe('converged');
    // As an agent stops: its watches end first, then the world.
    watching.abort();
    await done;
    await world.close();
    // Well before the lease's 2 s would have run out.
    expect(await observer.get('status/h1')).toBeUndefined();
  });

  it("writes a leased key set several times at once with its last value, every time (QA: a host's first, empty status overwrote the next)", async () => {
    const observer = openWorld(etcd.clientUrls, { namespace: '/o/' });
    for (let round = 0; round < 10; round++) {
      const world = openWorld(etcd.clientUrls, { namespace: '/o/' });
      // The first writes wait for the lease to be granted; without one write at a time they land in any order.
      await Promise.all(['first', 'second', 'third', 'last'].map((value) => world.setLeased(`status/h${round}`, value)));
      expect(await observer.get(`status/h${round}`)).toBe('last');
      await world.setLeased(`status/h${round}`, 'again');
      await world.deleteLeased(`status/h${round}`);
      expect(await observer.get(`status/h${round}`)).toBeUndefined();
    }
  });

  it('swaps a guarded transaction only when the guard still holds', async () => {
    const world = openWorld(etcd.clientUrls, { namespace: '/t/' });
    expect(await world.compareAndSet('latest', undefined, new Map([['latest', '1'], ['d/1', 'a']]))).toBe(true);
    expect(await world.compareAndSet('latest', undefined, new Map([['latest', '1'], ['d/1', 'b']]))).toBe(false);
    expect(await world.compareAndSet('latest', '1', new Map([['latest', '2'], ['d/2', 'c']]))).toBe(true);
    expect(await world.get('d/1')).toBe('a');
    expect(await world.get('latest')).toBe('2');
  });
});

describe.skipIf(!available)('EtcdWorld when etcd fails', () => {
  it('keeps working when one of three members dies', async () => {
    const etcd = await startEtcdCluster(3);
    try {
      const world = openWorld(etcd.clientUrls, { namespace: '/f/' });
      const writer = openWorld([etcd.clientUrls[2] as string], { namespace: '/f/' });
      const stop = new AbortController();
      const { batches, done } = follow(world, 'k/', stop.signal);
      await eventually(() => batches.length === 1);
      await writer.set('k/before', '1');
      await eventually(() => batches.flat().some((change) => change.key === 'k/before'));

      await etcd.members[0]?.stop();
      await world.set('k/after', '2');
      expect(await world.get('k/after')).toBe('2');
      await writer.set('k/seen', '3');
      await eventually(() => batches.flat().some((change) => change.key === 'k/seen'), 15_000);
      stop.abort();
      await done;
    } finally {
      await etcd.stop();
    }
  }, 60_000);

  it('does not call the world lost when the member its watch streams from dies and a quorum is left (QA: "unreachable" with two of three up)', async () => {
    const etcd = await startEtcdCluster(3);
    try {
      const lines: LogLine[] = [];
      const world = openWorld(etcd.clientUrls, { namespace: '/m/', lines });
      // Writes go through another client: the watching world makes no call of its own but the check after its stream drops.
      const writer = openWorld(etcd.clientUrls, { namespace: '/m/', hostname: 'writer' });
      const stop = new AbortController();
      const { batches, done } = follow(world, 'k/', stop.signal);
      await eventually(() => batches.length === 1);
      // Each member in turn, so that the one the watch streams from dies once, whichever it is.
      for (let index = 0; index < 3; index++) {
        await etcd.members[index]?.stop();
        await writeSoon(writer, `k/${index}`);
        await eventually(() => batches.flat().some((change) => change.key === `k/${index}`), 30_000);
        await etcd.members[index]?.restart();
        // Back in the cluster (a read through it alone needs the quorum) before the next one stops,
        // and past the 5 s after which clients try a member they gave up on again.
        const alone = openWorld([etcd.clientUrls[index] as string], { namespace: '/m/', hostname: 'probe' });
        await eventuallyAsync(() => alone.get('k/probe').then(() => true, () => false), 30_000);
        await new Promise((resolve) => setTimeout(resolve, 5_500));
      }
      expect(lines.filter((line) => /unreachable/.test(line.message))).toEqual([]);
      stop.abort();
      await done;
    } finally {
      await etcd.stop();
    }
  }, 180_000);

  it('moves its watch to another member when the one it streams from hangs, and misses no change (QA: collectors stale for 84 s while a member was stopped)', async () => {
    const etcd = await startEtcdCluster(3);
    try {
      const lines: LogLine[] = [];
      const { world, member: hung, writer, batches, seen, stop, done } = await watchThroughOneMember(etcd, '/h/', lines);

      hung.pause();
      // The other two still make a quorum (after an election, if the hung one led): writes go on.
      await writeSoon(writer, 'k/during-1');
      await writeSoon(writer, 'k/during-2');
      // Without keepalive the watch would wait as long as the member stays paused; with it, it moves within about 9 s.
      await eventually(() => seen('k/during-1') && seen('k/during-2'), 30_000);
      // Resumed from the last revision it saw: nothing before it again.
      expect(batches.slice(1).flat().filter((change) => change.key === 'k/before')).toHaveLength(1);
      const moved = lines.filter((line) => /lost their stream/.test(line.message));
      expect(moved).toHaveLength(1);
      expect(moved[0]?.message).toContain(`through etcd member ${hung.clientUrl.replace('http://', '')} (`);
      expect(lines.filter((line) => /unreachable/.test(line.message))).toEqual([]);

      // The hung member going on breaks nothing.
      hung.resume();
      await writeSoon(writer, 'k/after');
      await eventually(() => seen('k/after'), 15_000);
      expect(await world.get('k/after')).toBe('x');
      expect(world.reachable).toBe(true);
      stop.abort();
      await done;
    } finally {
      // Goes on (SIGCONT) before it stops.
      await etcd.stop();
    }
  }, 120_000);

  it.skipIf(!partitionable)(
    'moves its watch off a member cut off from the others, which still answers but has no leader, and misses no change (a leftover: etcd was not asked to refuse streams without a leader)',
    async () => {
      const etcd = await startEtcdCluster(3, { partitionable: true });
      try {
        const lines: LogLine[] = [];
        const { world, member: cutOff, writer, batches, seen, stop, done } = await watchThroughOneMember(etcd, '/p/', lines);

        etcd.isolate(cutOff);
        // The other two keep a quorum (after an election, if the cut-off one led): writes go on.
        await writeSoon(writer, 'k/during-1');
        await writeSoon(writer, 'k/during-2');
        // The cut-off member answers keepalive pings, so only etcd's own "no leader" ends the stream there.
        await eventually(() => seen('k/during-1') && seen('k/during-2'), 20_000);
        expect(batches.slice(1).flat().filter((change) => change.key === 'k/before')).toHaveLength(1);
        const moved = lines.filter((line) => /lost their stream/.test(line.message));
        expect(moved).toHaveLength(1);
        expect(moved[0]?.message).toContain(`through etcd member ${cutOff.clientUrl.replace('http://', '')} (`);
        expect(moved[0]?.message).toContain('(it has no leader: cut off from the other members, or they lost their quorum)');

        etcd.heal();
        await writeSoon(writer, 'k/after');
        await eventually(() => seen('k/after'), 15_000);
        expect(world.reachable).toBe(true);
        stop.abort();
        await done;
      } finally {
        await etcd.stop();
      }
    },
    120_000,
  );

  it('counts etcd as back only with a quorum, not when its watch reaches a member that has none (QA: "reachable again" with one of three)', async () => {
    const etcd = await startEtcdCluster(3);
    try {
      const lines: LogLine[] = [];
      const world = openWorld(etcd.clientUrls, { namespace: '/q/', lines });
      const stop = new AbortController();
      const { batches, done } = follow(world, 'k/', stop.signal);
      await eventually(() => batches.length === 1);

      await etcd.members[0]?.stop();
      await etcd.members[1]?.stop();
      const failed = await world.set('k/x', '1').then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failed).toBeInstanceOf(WorldUnreachableError);
      expect(failed?.message).toMatch(/too few of them for a quorum\)$/);
      expect(failed?.message).not.toContain('Resolution note');
      // The watch stream may meanwhile reconnect to the member left: still no quorum.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(world.reachable).toBe(false);
      expect(lines.some((line) => /reachable again/.test(line.message))).toBe(false);

      await etcd.members[1]?.restart();
      // The next call that gets its answer (an agent's status or lease makes one every few seconds) says so.
      const deadline = Date.now() + 30_000;
      while (!(await world.get('k/x').then(() => true, () => false))) {
        if (Date.now() > deadline) throw new Error('etcd did not answer with two members of three');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(world.reachable).toBe(true);
      expect(lines.filter((line) => /reachable again/.test(line.message))).toHaveLength(1);
      stop.abort();
      await done;
    } finally {
      await etcd.stop();
    }
  }, 90_000);

  it('logs the loss of etcd once, and resumes its watches when etcd is back', async () => {
    const etcd = await startEtcdCluster(1);
    try {
      const lines: LogLine[] = [];
      const world = openWorld(etcd.clientUrls, { namespace: '/u/', lines });
      const writer = openWorld(etcd.clientUrls, { namespace: '/u/' });
      await world.set('k/kept', 'yes');
      const stop = new AbortController();
      const { batches, done } = follow(world, 'k/', stop.signal);
      await eventually(() => batches.length === 1);

      await etcd.members[0]?.stop();
      await expect(world.set('k/x', '1')).rejects.toBeInstanceOf(WorldUnreachableError);
      // Within 5 s of the first failure the member is passed by: what is told is still why it failed (QA: "the circuit breaker is open").
      const passedBy = await world.get('k/x').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(passedBy).toBeInstanceOf(WorldUnreachableError);
      expect(String(passedBy)).toMatch(/every etcd member failed in the last 5 s, the last with: .*(ECONNREFUSED|UNAVAILABLE)/);
      expect(world.reachable).toBe(false);
      const warnings = lines.filter((line) => line.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain('circuit breaker');

      await etcd.members[0]?.restart();
      await writer.set('k/later', 'back');
      await eventually(() => batches.flat().some((change) => change.key === 'k/later'), 20_000);
      expect(await world.get('k/kept')).toBe('yes');
      expect(world.reachable).toBe(true);
      expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      expect(lines.some((line) => line.level === 'info' && /reachable again/.test(line.message))).toBe(true);
      stop.abort();
      await done;
    } finally {
      await etcd.stop();
    }
  }, 60_000);

  it('says whether a leased key reached etcd: false while etcd is away (it is written once etcd is back), true once etcd holds it (QA: a status taken as written made a restarted agent take its previous run for another)', async () => {
    const etcd = await startEtcdCluster(1);
    try {
      const world = openWorld(etcd.clientUrls, { namespace: '/ls/' });
      const observer = openWorld(etcd.clientUrls, { namespace: '/ls/' });
      expect(await world.setLeased('status/h1', 'first')).toBe(true);
      await etcd.members[0]?.stop();
      expect(await world.setLeased('status/h1', 'while away')).toBe(false);
      // Renewing now: told at once, not written.
      expect(await world.setLeased('status/h1', 'still away')).toBe(false);
      await etcd.members[0]?.restart();
      await eventuallyAsync(async () => (await observer.get('status/h1').catch(() => undefined)) === 'still away', 20_000);
      expect(await world.setLeased('status/h1', 'back')).toBe(true);
      expect(await observer.get('status/h1')).toBe('back');
    } finally {
      await etcd.stop();
    }
  }, 60_000);

  it('tells a watch what changed when etcd comes back rebuilt empty, its revisions started again (QA: collectors stale until the new revision passed the old one)', async () => {
    const etcd = await startEtcdCluster(1);
    try {
      const world = openWorld(etcd.clientUrls, { namespace: '/r/' });
      const writer = openWorld(etcd.clientUrls, { namespace: '/r/' });
      await writer.set('k/export', 'v1');
      await writer.set('k/gone', 'old');
      // Revisions well past where the rebuilt cluster will be.
      for (let index = 0; index < 30; index++) await writer.set('other', String(index));
      const stop = new AbortController();
      const { batches, done } = follow(world, 'k/', stop.signal);
      await eventually(() => batches.length === 1);

      await etcd.members[0]?.stop();
      await etcd.members[0]?.wipeData();
      await etcd.members[0]?.restart();
      await writeSoon(writer, 'k/export');
      await writer.set('k/export', 'v2 after the rebuild');
      await eventually(() => batches.flat().some((change) => change.key === 'k/export' && change.value === 'v2 after the rebuild'), 20_000);
      await eventually(() => batches.flat().some((change) => change.key === 'k/gone' && change.value === undefined), 5_000);
      // And changes after it keep coming.
      await writer.set('k/export', 'v3');
      await eventually(() => batches.flat().some((change) => change.key === 'k/export' && change.value === 'v3'), 10_000);
      stop.abort();
      await done;
    } finally {
      await etcd.stop();
    }
  }, 60_000);
});
