import { describe, expect, it } from 'vitest';
import { memoryKindResolver } from '../src/api/memory-resolver.js';
import { kvWorldKey } from '../src/builtin/kv.js';
import { resolveGraph } from '../src/graph/resolve.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { Engine } from '../src/runtime/engine.js';
import { LocalWorld } from '../src/world/local-world.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { recordingKind, type Journal } from './support/recording-kind.js';
import { tempStateDir } from './support/graph.js';

/** The kv kind against the local world, through the real engine. */
async function run(yaml: string, world: LocalWorld, hostname = 'h1', journal: Journal = { events: [], contexts: new Map() }, noop = false): Promise<Engine> {
  const graph = await resolveGraph(parseGraphYaml(yaml, 'kv.yaml'), memoryKindResolver([recordingKind(journal)]));
  const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, world, hostname, noop });
  const converged = engine.whenConverged(AbortSignal.timeout(10_000));
  await engine.start(graph);
  await converged;
  return engine;
}

describe('the kv kind', () => {
  it('sets a shared key and deletes it with state absent', async () => {
    const world = new LocalWorld('h1');
    const setter = await run('graph: g\nresources:\n  kv:\n    - name: colour\n      value: blue\n', world);
    expect(await world.get(kvWorldKey('colour', false, 'h1'))).toBe('blue');
    expect(setter.failures()).toEqual([]);
    await setter.stop();
    const deleter = await run('graph: g\nresources:\n  kv:\n    - name: colour\n      state: absent\n', world);
    expect(await world.get('kv/colour')).toBeUndefined();
    await deleter.stop();
  });

  it('without a value (and none received) deletes the key, as mgmt does; a dry run only says it would', async () => {
    const world = new LocalWorld('h1');
    await world.set('kv/iamdeleted', 'old');
    const graph = 'graph: g\nresources:\n  kv:\n    - name: iamdeleted\n';
    const dry = await run(graph, world, 'h1', { events: [], contexts: new Map() }, true);
    expect(dry.failures()).toEqual([]);
    expect(dry.statuses()[0]?.changes).toBe(1);
    expect(await world.get('kv/iamdeleted')).toBe('old');
    await dry.stop();
    const real = await run(graph, world);
    expect(real.failures()).toEqual([]);
    expect(await world.get('kv/iamdeleted')).toBeUndefined();
    await real.stop();
  });

  it('with a value to receive: a dry run waits for a sender that sends nothing in noop; a real run without one fails', async () => {
    const world = new LocalWorld('h1');
    const graph = [
      'graph: g',
      'resources:',
      '  kv:',
      '    - name: dbpw',
      '  rec:',
      '    - name: sender',
      'edges:',
      '  - {from: {kind: rec, name: sender}, to: {kind: kv, name: dbpw}, send: out, recv: value}',
      '',
    ].join('\n');
    const dry = await run(graph, world, 'h1', { events: [], contexts: new Map() }, true);
    expect(dry.failures()).toEqual([]);
    expect(await world.get('kv/dbpw')).toBeUndefined();
    await dry.stop();
    const real = await run(graph, world);
    expect(real.failures()[0]?.message).toBe('kv has no value to set');
    await real.stop();
  });

  it("keeps a greater value with skiplessthan (as whole numbers, or as strings with skipcmpstyle: 1), as mgmt's kv does", async () => {
    const world = new LocalWorld('h1');
    await world.set('kv/stage', '10');
    const stage = (value: string, extra = ''): string => `graph: g\nresources:\n  kv:\n    - name: stage\n      value: "${value}"\n      skiplessthan: true\n${extra}`;
    const lower = await run(stage('9'), world);
    expect(await world.get('kv/stage')).toBe('10');
    await lower.stop();
    const higher = await run(stage('11'), world);
    expect(await world.get('kv/stage')).toBe('11');
    await higher.stop();
    // As strings, '9' > '11'.
    const asStrings = await run(stage('9', '      skipcmpstyle: 1\n'), world);
    expect(await world.get('kv/stage')).toBe('9');
    await asStrings.stop();
    await expect(resolveGraph(parseGraphYaml(stage('high'), 'kv.yaml'), memoryKindResolver([]))).rejects.toThrow(GraphLoadError);
  });

  it('reads through a world that is away by keeping its last value; a set fails', async () => {
    const world = new LocalWorld('h1');
    const away = Object.assign(new Error('the world (etcd) is unreachable: get failed'), { name: 'WorldUnreachableError' });
    world.get = () => Promise.reject(away);
    const reader = await run('graph: g\nresources:\n  kv:\n    - name: colour\n      state: read\n', world);
    expect(reader.failures()).toEqual([]);
    await reader.stop();
    const setter = await run('graph: g\nresources:\n  kv:\n    - name: colour\n      value: blue\n', world);
    expect(setter.failures()[0]?.message).toContain('unreachable');
    await setter.stop();
  });

  it('keeps a per-host entry with mapped, and reads another host\'s entry', async () => {
    const world = new LocalWorld('shared');
    const h1 = await run('graph: g\nresources:\n  kv:\n    - name: ip\n      value: 10.0.0.1\n      mapped: true\n', world, 'h1');
    const h2 = await run('graph: g\nresources:\n  kv:\n    - name: ip\n      value: 10.0.0.2\n      mapped: true\n', world, 'h2');
    expect([...(await world.list('kvmap/ip/'))]).toEqual([
      ['kvmap/ip/h1', '10.0.0.1'],
      ['kvmap/ip/h2', '10.0.0.2'],
    ]);
    await Promise.all([h1.stop(), h2.stop()]);
  });

  it('sends the value it reads, again whenever the key changes', async () => {
    const world = new LocalWorld('h1');
    await world.set('kv/motd', 'first');
    const yaml = [
      'graph: g',
      'resources:',
      '  kv:',
      '    - name: motd',
      '      state: read',
      '  rec:',
      '    - name: sink',
      'edges:',
      '  - from: {kind: kv, name: motd}',
      '    to: {kind: rec, name: sink}',
      '    send: value',
      '    recv: value',
      '',
    ].join('\n');
    const journal: Journal = { events: [], contexts: new Map() };
    const engine = await run(yaml, world, 'h1', journal);
    expect(journal.events).toContain('start sink apply=true refresh=false value=first');
    await world.set('kv/motd', 'second');
    const deadline = Date.now() + 5000;
    const seen = (): boolean => journal.events.includes('start sink apply=true refresh=false value=second');
    while (!seen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen()).toBe(true);
    await engine.stop();
  });

  it('rejects host without mapped reading, before anything runs', async () => {
    const spec = parseGraphYaml('graph: g\nresources:\n  kv:\n    - name: k\n      host: h2\n', 'kv.yaml');
    await expect(resolveGraph(spec, memoryKindResolver([]))).rejects.toBeInstanceOf(GraphLoadError);
  });
});
