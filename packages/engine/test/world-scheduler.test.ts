import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseHosts, Scheduler } from '../src/cluster/scheduler.js';
import { parseGraphYamlFast } from '../src/yaml/fast-parse.js';
import { parseGraphYaml, parseGraphYamlPrecisely } from '../src/yaml/parse.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { EtcdWorld } from '../src/world/etcd-world.js';
import { etcdAvailable, startEtcdCluster, type EtcdCluster } from './support/etcd-members.js';

const available = etcdAvailable();
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('choosing hosts', () => {
  it('first takes the earliest candidates; rr rotates by schedule name; never more than there are', () => {
    expect(chooseHosts('web', { strategy: 'first', max: 2 }, ['c', 'a', 'b'])).toEqual(['c', 'a']);
    expect(chooseHosts('web', { strategy: 'first', max: 5 }, ['c', 'a'])).toEqual(['c', 'a']);
    const starts = new Set(['s1', 's2', 's3', 's4', 's5', 's6'].map((name) => chooseHosts(name, { strategy: 'rr', max: 1 }, ['a', 'b', 'c'])[0]));
    expect(starts.size).toBeGreaterThan(1);
    expect(chooseHosts('x', { strategy: 'rr', max: 2 }, ['b', 'a', 'c'])).toEqual(chooseHosts('x', { strategy: 'rr', max: 2 }, ['c', 'b', 'a']));
  });

  it('reads `schedule:` the same with both parsers and rejects a bad one', () => {
    const text = 'graph: g\nschedule: {strategy: rr, max: 2}\n';
    expect(parseGraphYamlPrecisely(text, 'g.yaml').schedule).toEqual({ strategy: 'rr', max: 2 });
    expect(parseGraphYamlFast(text, 'g.yaml', () => parseGraphYamlPrecisely(text, 'g.yaml'))?.schedule).toEqual({ strategy: 'rr', max: 2 });
    for (const bad of ['schedule: {strategy: random}', 'schedule: {max: 0}', 'schedule: {max: two}', 'schedule: [first]']) {
      expect(parseGraphYamlFast(`graph: g\n${bad}\n`, 'g.yaml', () => parseGraphYamlPrecisely(text, 'g.yaml'))).toBeUndefined();
      expect(() => parseGraphYaml(`graph: g\n${bad}\n`, 'g.yaml')).toThrow(GraphLoadError);
    }
  });
});

describe.skipIf(!available)('the scheduler on real etcd', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster(1);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('agrees on the chosen hosts everywhere and re-elects when a chosen host leaves', async () => {
    const worlds = ['h1', 'h2', 'h3'].map((hostname) => new EtcdWorld({ hostname, seeds: etcd.clientUrls, log: silent, namespace: '/sched/', leaseTtl: 2 }));
    const stops = worlds.map(() => new AbortController());
    const schedulers = worlds.map((world) => new Scheduler(world, 'web', { strategy: 'first', max: 2 }));
    const runs: Promise<void>[] = [];
    try {
      for (const [index, scheduler] of schedulers.entries()) {
        runs.push(scheduler.run((stops[index] as AbortController).signal));
        // Join one after the other so that the join order is known.
        await scheduler.chosen.when((chosen) => chosen.includes(worlds[index]?.hostname ?? '') || chosen.length === 2, AbortSignal.timeout(5000));
      }
      for (const scheduler of schedulers) await scheduler.chosen.when((chosen) => chosen.join() === 'h1,h2', AbortSignal.timeout(5000));
      expect(schedulers.map((scheduler) => scheduler.mine)).toEqual([true, true, false]);

      // h1 dies (its lease is revoked with its connection): h3 takes its place.
      stops[0]?.abort();
      await runs[0];
      await worlds[0]?.close();
      for (const scheduler of schedulers.slice(1)) await scheduler.chosen.when((chosen) => chosen.join() === 'h2,h3', AbortSignal.timeout(10_000));
      expect(schedulers[2]?.mine).toBe(true);
    } finally {
      for (const stop of stops) stop.abort();
      await Promise.allSettled(runs);
      await Promise.all(worlds.slice(1).map((world) => world.close()));
    }
  }, 30_000);
});
