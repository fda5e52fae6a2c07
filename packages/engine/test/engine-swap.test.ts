import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';
import { ReversalStore } from '../src/runtime/reversal-store.js';
import { FileParams, folderKind, priorFile, putFile } from './support/reversible-kinds.js';
import { graphOf, started, swapTo, tempDir, tempStateDir, type TestResource } from './support/graph.js';
import { newJournal, recordingKind } from './support/recording-kind.js';

/** Counts lifecycle calls per resource name, so a test can tell kept from replaced. */
function trackedKind(log: string[]): AnyResourceDefinition {
  return defineResource({
    kind: 'tracked',
    params: Type.Object({ value: Type.Optional(Type.String()) }),
    create(params) {
      let name = '?';
      let ready = (): void => undefined;
      return {
        init(ctx) {
          name = ctx.name;
          ready = () => ctx.event();
          log.push(`init ${name} ${params.value ?? ''}`.trim());
        },
        async watch(signal) {
          log.push(`watch ${name}`);
          ready();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
        checkApply() {
          log.push(`check ${name}`);
          return true;
        },
        cleanup() {
          log.push(`cleanup ${name}`);
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** A real file on disk, reversible: records the file's prior content (or absence). Each write (or removal) is noted in `writes`. */
function diskFileKind(writes: string[] = []): AnyResourceDefinition {
  return defineResource({
    kind: 'diskfile',
    params: FileParams,
    nameParam: 'path',
    identity: (params) => params.path,
    reversible: { reversal: (_instance, params) => priorFile(params) },
    create(params) {
      return { checkApply: (apply) => putFile(params, apply, writes) };
    },
  }) as unknown as AnyResourceDefinition;
}

describe('graph swap', () => {
  const tracked = (names: Record<string, string | undefined>): TestResource[] =>
    Object.entries(names).map(([name, value]) => ({ kind: 'tracked', name, params: value === undefined ? {} : { value } }));

  it('keeps equal resources running untouched, replaces changed ones, removes the rest', async () => {
    const log: string[] = [];
    const kind = trackedKind(log);
    const engine = await started(graphOf([kind], tracked({ keep: undefined, change: 'v1', drop: undefined })));
    log.length = 0;
    await swapTo(engine, graphOf([kind], tracked({ keep: undefined, change: 'v2', add: undefined })));
    expect(log.filter((line) => line.includes('keep'))).toEqual([]);
    expect(log).toContain('cleanup change');
    expect(log).toContain('init change v2');
    expect(log).toContain('cleanup drop');
    expect(log).toContain('init add');
    // Removals happen before additions.
    expect(log.indexOf('cleanup drop')).toBeLessThan(log.indexOf('init add'));
    expect(engine.statuses().map((status) => status.name).sort()).toEqual(['add', 'change', 'keep']);
    await engine.stop();
  });

  it('syncs edges: a kept resource with a new parent runs after it', async () => {
    const log: string[] = [];
    const kind = trackedKind(log);
    const engine = await started(graphOf([kind], tracked({ child: undefined })));
    log.length = 0;
    await swapTo(engine, graphOf([kind], tracked({ child: undefined, parent: undefined }), [{ from: 'tracked[parent]', to: 'tracked[child]' }]));
    expect(engine.edges().map((edge) => `${edge.from}->${edge.to}`)).toEqual(['tracked[parent]->tracked[child]']);
    expect(log.indexOf('check parent')).toBeGreaterThanOrEqual(0);
    const childChecks = log.map((line, index) => (line === 'check child' ? index : -1)).filter((index) => index >= 0);
    for (const index of childChecks) expect(index).toBeGreaterThan(log.indexOf('check parent'));
    await engine.stop();
  });

  it('orders two kept resources by an edge a swap adds between them, also when the parent ran last before it (QA: the child ran first at every event that reached both)', async () => {
    const journal = newJournal();
    const kind = recordingKind(journal);
    const pair = [
      { kind: 'rec', name: 'child', params: { watch: true } },
      { kind: 'rec', name: 'parent', params: { watch: true, sleepMs: 50 } },
    ];
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(graphOf([kind], pair));
    await engine.whenConverged(AbortSignal.timeout(10_000));
    const event = (name: string): void => journal.contexts.get(name)?.event();
    const ran = async (name: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!journal.events.includes(`end ${name}`)) {
        if (Date.now() > deadline) throw new Error(`${name} did not run: ${journal.events.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    // Unordered, the parent-to-be runs last.
    journal.events.length = 0;
    event('parent');
    await ran('parent');
    await engine.swap(graphOf([kind], pair, [{ from: 'rec[parent]', to: 'rec[child]' }]));
    await engine.whenConverged(AbortSignal.timeout(10_000));
    for (let round = 0; round < 3; round++) {
      journal.events.length = 0;
      // An event that reaches the child first, then the parent (two watches of one change).
      event('child');
      await new Promise((resolve) => setTimeout(resolve, 10));
      event('parent');
      await ran('child');
      await engine.whenConverged(AbortSignal.timeout(10_000));
      const starts = journal.events.filter((line) => line.startsWith('start') || line.startsWith('end'));
      expect(starts.indexOf('end parent'), starts.join(', ')).toBeGreaterThanOrEqual(0);
      expect(starts.indexOf('end parent'), starts.join(', ')).toBeLessThan(starts.indexOf('start child apply=true refresh=false value=undefined'));
    }
    await engine.stop();
  });

  it('replaces a resource whose send/recv edges a swap changes: a new sender is heard, a removed one no longer is', async () => {
    const dir = await tempDir();
    const target = join(dir, 'b');
    const kinds = [recordingKind(newJournal()), diskFileKind()];
    const resources: TestResource[] = [
      { kind: 'rec', name: 'one', params: { sendValue: 'from one' } },
      { kind: 'rec', name: 'two', params: { sendValue: 'from two' } },
      { kind: 'diskfile', name: target, params: { path: target } },
    ];
    const from = (sender: string) => [{ from: `rec[${sender}]`, to: `diskfile[${target}]`, send: 'out', recv: 'content' }];
    const engine = await started(graphOf(kinds, resources, from('two')));
    expect(await readFile(target, 'utf8')).toBe('from two');
    // The edge re-pointed, every resource the same: the receiver takes the new sender's value.
    await swapTo(engine, graphOf(kinds, resources, from('one')));
    expect(await readFile(target, 'utf8')).toBe('from one');
    // The edge removed: what the graph says of it again (no content: this kind writes it empty), not the last value received.
    await swapTo(engine, graphOf(kinds, resources));
    expect(await readFile(target, 'utf8')).toBe('');
    await engine.stop();
  });

  it('refuses a graph with a cycle and keeps the running one', async () => {
    const log: string[] = [];
    const kind = trackedKind(log);
    const engine = await started(graphOf([kind], tracked({ a: undefined, b: undefined })));
    log.length = 0;
    const cyclic = graphOf([kind], tracked({ a: undefined, b: undefined }), [
      { from: 'tracked[a]', to: 'tracked[b]' },
      { from: 'tracked[b]', to: 'tracked[a]' },
    ]);
    await expect(engine.swap(cyclic)).rejects.toThrow(/cycle/);
    expect(log).toEqual([]);
    expect(engine.statuses().map((status) => status.state)).toEqual(['converged', 'converged']);
    await engine.stop();
  });

  it('does not wait for a kept resource whose checkApply runs on, and aborts one the swap removes', async () => {
    const log: string[] = [];
    const kind = trackedKind(log);
    const journal = newJournal();
    const rec = recordingKind(journal);
    const hung = (name: string): TestResource => ({ kind: 'rec', name, params: { hang: true } });
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    const told: string[] = [];
    engine.onStatus((status) => told.push(`${status.name} ${status.state}`));
    await engine.start(graphOf([kind, rec], [...tracked({ a: 'v1' }), hung('kept'), hung('dropped')]));
    await expect.poll(() => journal.events.filter((event) => event.startsWith('start')).length).toBe(2);

    const began = performance.now();
    await engine.swap(graphOf([kind, rec], [...tracked({ a: 'v2' }), hung('kept')]));
    // Neither hung check held the swap back (an orderly wait would never end).
    expect(performance.now() - began).toBeLessThan(2_000);
    await expect.poll(() => engine.statuses().find((status) => status.name === 'a')?.state).toBe('converged');
    expect(log).toContain('init a v2');
    expect(engine.statuses().map((status) => `${status.name} ${status.state}`).sort()).toEqual(['a converged', 'kept running']);
    // The removed one's aborted check ends it as stopped: it left the graph, it did not fail.
    expect(told).toContain('dropped stopped');
    expect(told).not.toContain('dropped failed');
    engine.abort();
    await engine.stop();
  });

  it('swaps many times without leaking resources', async () => {
    const log: string[] = [];
    const kind = trackedKind(log);
    const engine = await started(graphOf([kind], tracked({ a: '0' })));
    for (let round = 1; round <= 50; round++) await swapTo(engine, graphOf([kind], tracked({ a: String(round) })));
    const inits = log.filter((line) => line.startsWith('init')).length;
    const cleanups = log.filter((line) => line.startsWith('cleanup')).length;
    expect(inits).toBe(51);
    expect(cleanups).toBe(50);
    await engine.stop();
    expect(log.filter((line) => line.startsWith('cleanup')).length).toBe(51);
  });

  it('lets go of the resources a swap replaced, well before the 30 s not-live warning would be due (QA soak: 25 graphs held in the heap)', async () => {
    const instances: WeakRef<object>[] = [];
    const kind = defineResource({
      kind: 'held',
      params: Type.Object({ value: Type.String() }),
      create() {
        let ready = (): void => undefined;
        const instance = {
          init(ctx: { event(): void }) {
            ready = () => ctx.event();
          },
          async watch(signal: AbortSignal) {
            ready();
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          },
          checkApply: () => true,
        };
        instances.push(new WeakRef(instance));
        return instance;
      },
    }) as unknown as AnyResourceDefinition;
    const graph = (value: string): ReturnType<typeof graphOf> => graphOf([kind], [{ kind: 'held', name: 'x', params: { value } }]);
    const engine = await started(graph('0'));
    for (let round = 1; round <= 5; round++) await swapTo(engine, graph(String(round)));
    for (let pass = 0; pass < 5; pass++) {
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
    }
    const alive = instances.filter((ref) => ref.deref() !== undefined).length;
    await engine.stop();
    // The running one is held, of course; the five replaced ones are not.
    expect(alive).toBe(1);
  });
});

/** A full garbage collection, without starting vitest's workers with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A run that managed `f` (which held "before") with meta.reverse and stopped: its reversal is stored in `stateDir`. */
async function ranOnceWithReverse(): Promise<{ dir: string; path: string; stateDir: string; kind: AnyResourceDefinition }> {
  const dir = await tempDir('converge-reverse-');
  const path = join(dir, 'f');
  await writeFile(path, 'before\n');
  const stateDir = await tempStateDir();
  const kind = diskFileKind();
  const first = await started(graphOf([kind], [{ kind: 'diskfile', name: path, params: { path, content: 'during\n' }, meta: { reverse: true } }]), stateDir);
  await first.stop();
  return { dir, path, stateDir, kind };
}

describe('reverse', () => {
  it('puts back what was there when a resource with meta.reverse leaves the graph', async () => {
    const dir = await tempDir('converge-reverse-');
    const existing = join(dir, 'existing');
    const created = join(dir, 'created');
    await writeFile(existing, 'original\n');
    const kind = diskFileKind();
    const managed = graphOf([kind], [
      { kind: 'diskfile', name: existing, params: { path: existing, content: 'managed\n' }, meta: { reverse: true } },
      { kind: 'diskfile', name: created, params: { path: created, content: 'new\n' }, meta: { reverse: true } },
    ]);
    const engine = await started(managed);
    expect(await readFile(existing, 'utf8')).toBe('managed\n');
    expect(await readFile(created, 'utf8')).toBe('new\n');
    await swapTo(engine, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
    expect(await readFile(existing, 'utf8')).toBe('original\n');
    expect(existsSync(created)).toBe(false);
    await engine.stop();
  });

  it('puts back the old path of a resource that keeps its name but manages another path after a swap', async () => {
    const dir = await tempDir('converge-reverse-');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await writeFile(a, 'original a\n');
    await writeFile(b, 'original b\n');
    const kind = diskFileKind();
    const at = (path: string) => graphOf([kind], [{ kind: 'diskfile', name: 'cfg', params: { path, content: 'managed\n' }, meta: { reverse: true } }]);
    const engine = await started(at(a));
    expect(await readFile(a, 'utf8')).toBe('managed\n');
    await swapTo(engine, at(b));
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    await swapTo(engine, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
    expect(await readFile(b, 'utf8')).toBe('original b\n');
    await engine.stop();
  });

  describe('a resource renamed (another name, the same identity: a file\'s path)', () => {
    /** The same file under the name `name`, with or without meta.reverse. */
    const named = (kind: AnyResourceDefinition, name: string, path: string, reverse = true) =>
      graphOf([kind], [{ kind: 'diskfile', name, params: { path, content: 'managed\n' }, meta: { reverse } }]);
    async function managedAs(name: string): Promise<{ path: string; kind: AnyResourceDefinition; writes: string[]; stateDir: string; engine: Engine }> {
      const dir = await tempDir('converge-reverse-');
      const path = join(dir, 'motd');
      await writeFile(path, 'original\n');
      const writes: string[] = [];
      const kind = diskFileKind(writes);
      const stateDir = await tempStateDir();
      const engine = await started(named(kind, name, path), stateDir);
      expect(writes.splice(0)).toEqual([`${path}: managed\n`]);
      return { path, kind, writes, stateDir, engine };
    }

    it('is not put back at a swap (the file is not written twice, nor the new one changed); its record passes to the new name', async () => {
      const { path, kind, writes, engine } = await managedAs('motd');
      const told: string[] = [];
      engine.onReversal(({ id, outcome }) => told.push(`${outcome}: ${id}`));
      await swapTo(engine, named(kind, path, path));
      expect(writes).toEqual([]);
      expect(told).toEqual([]);
      expect(engine.statuses().find((status) => status.id === `diskfile[${path}]`)?.changes).toBe(0);
      // Put back when the new one leaves in turn.
      await swapTo(engine, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
      expect(told).toEqual([`reversed: diskfile[${path}]`]);
      expect(await readFile(path, 'utf8')).toBe('original\n');
      await engine.stop();
    });

    it('passes its record to a new name without meta.reverse too, which puts it back when it leaves, as a resource that turns reverse off', async () => {
      const { path, kind, writes, engine } = await managedAs('motd');
      await swapTo(engine, named(kind, path, path, false));
      expect(writes).toEqual([]);
      await swapTo(engine, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
      expect(await readFile(path, 'utf8')).toBe('original\n');
      await engine.stop();
    });

    it('is not put back at the next start either; a dry run says nothing would be put back and keeps the record where it was', async () => {
      const { path, kind, writes, stateDir, engine } = await managedAs('motd');
      await engine.stop();
      const dryRun = new Engine({ stateDir, convergerTimeout: 0, noop: true });
      const told: string[] = [];
      dryRun.onReversal(({ id, outcome }) => told.push(`${outcome}: ${id}`));
      await dryRun.start(named(kind, path, path));
      await dryRun.whenConverged(AbortSignal.timeout(10_000));
      expect(told).toEqual([]);
      expect(dryRun.statuses().find((status) => status.id === `diskfile[${path}]`)?.changes).toBe(0);
      await dryRun.stop();

      const next = new Engine({ stateDir, convergerTimeout: 0 });
      next.onReversal(({ id, outcome }) => told.push(`${outcome}: ${id}`));
      await next.start(named(kind, path, path));
      await next.whenConverged(AbortSignal.timeout(10_000));
      expect(writes).toEqual([]);
      expect(told).toEqual([]);
      await next.stop();
      // The record is the new name's now: a run without it puts the file back.
      const last = await started(graphOf([kind], [{ kind: 'noop', name: 'left' }]), stateDir);
      expect(await readFile(path, 'utf8')).toBe('original\n');
      await last.stop();
    });

    it('keeps the record the new name holds already for that path (the older), dropping the one passed on', async () => {
      const { path, kind, stateDir, engine } = await managedAs('motd');
      await engine.stop();
      // The new name left a record of its own for the path earlier (a reversal of it that failed, say).
      await new ReversalStore(stateDir).save({ id: `diskfile[${path}]`, kind: 'diskfile', name: path, params: { path, content: 'oldest\n' } });
      const next = await started(named(kind, path, path), stateDir);
      const stored = new ReversalStore(stateDir);
      stored.load();
      expect(stored.all().map((reversal) => reversal.id)).toEqual([`diskfile[${path}]`]);
      await swapTo(next, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
      expect(await readFile(path, 'utf8')).toBe('oldest\n');
      await next.stop();
    });
  });

  it('reverses what leaves the graph dependents first, and tries a failed reversal again at the next swap', async () => {
    const dir = await tempDir('converge-reverse-');
    const folder = join(dir, 'folder');
    const inner = join(folder, 'inner');
    const kind = folderKind();
    const disk = diskFileKind();
    // The folder is listed first: reversing in that order would find it not empty.
    const engine = await started(
      graphOf([kind, disk], [
        { kind: 'folder', name: folder, params: { path: folder }, meta: { reverse: true } },
        { kind: 'diskfile', name: inner, params: { path: inner, content: 'x' }, meta: { reverse: true } },
      ], [{ from: `folder[${folder}]`, to: `diskfile[${inner}]` }]),
    );
    await swapTo(engine, graphOf([kind, disk], [{ kind: 'noop', name: 'left' }]));
    expect(existsSync(folder)).toBe(false);

    // A reversal that fails (something unmanaged in the folder) is kept, and tried again at the next swap.
    const again = await started(graphOf([kind], [{ kind: 'folder', name: folder, params: { path: folder }, meta: { reverse: true } }]));
    await writeFile(join(folder, 'unmanaged'), 'u');
    await swapTo(again, graphOf([kind], [{ kind: 'noop', name: 'left' }]));
    expect(existsSync(folder)).toBe(true);
    // It counts as a failure (a run that exits on convergence says so) until it succeeds.
    expect(again.failures().map((failure) => `${failure.resource}: ${failure.message.split(':')[0]}`)).toEqual([
      `folder[${folder}]: reversal failed (kept for another try)`,
    ]);
    await rm(join(folder, 'unmanaged'));
    await swapTo(again, graphOf([kind], [{ kind: 'noop', name: 'still-left' }]));
    expect(existsSync(folder)).toBe(false);
    expect(again.failures()).toEqual([]);
    await engine.stop();
    await again.stop();
  });

  it('changes nothing under noop: the reversal stays stored for the next real run', async () => {
    const { dir, path, stateDir, kind } = await ranOnceWithReverse();
    const left = graphOf([kind], [{ kind: 'noop', name: 'left' }]);

    const dryRun = new Engine({ stateDir, convergerTimeout: 0, noop: true });
    await dryRun.start(left);
    await dryRun.whenConverged(AbortSignal.timeout(10_000));
    await dryRun.stop();
    expect(await readFile(path, 'utf8')).toBe('during\n');

    const real = await started(left, stateDir);
    expect(await readFile(path, 'utf8')).toBe('before\n');
    await real.stop();
  });

  it('tells a reversal the params of its kind in the graph being run (ctx.graphPeers), before those resources start: at a swap and at the next start', async () => {
    const told: string[][] = [];
    const inGraph: unknown[] = [];
    const kind = defineResource({
      kind: 'peered',
      params: Type.Object({ path: Type.String(), absent: Type.Optional(Type.Boolean()) }),
      nameParam: 'path',
      reversible: { reversal: async (_instance, params) => ({ path: params.path, absent: true }) },
      create(params) {
        return {
          init(ctx) {
            if (params.absent) told.push((ctx.graphPeers ?? []).map((peer) => peer.path));
            else inGraph.push(ctx.graphPeers);
          },
          checkApply: () => true,
        };
      },
    }) as unknown as AnyResourceDefinition;
    const peered = (...paths: string[]): TestResource[] => paths.map((path) => ({ kind: 'peered', name: path, params: { path }, meta: { reverse: true } }));
    const stateDir = await tempStateDir();
    const engine = await started(graphOf([kind], peered('/a', '/b')), stateDir);
    await swapTo(engine, graphOf([kind], [...peered('/b', '/c'), { kind: 'noop', name: 'n' }]));
    expect(told).toEqual([['/b', '/c']]);
    await engine.stop();
    const next = await started(graphOf([kind], peered('/d')), stateDir);
    expect(told).toEqual([['/b', '/c'], ['/d'], ['/d']]);
    // Only a reversal is told.
    expect(inGraph.length).toBeGreaterThan(0);
    expect(inGraph.every((peers) => peers === undefined)).toBe(true);
    await next.stop();
  });

  it('reverses on the next run when the resource is gone from the graph (stored in the state dir)', async () => {
    const { dir, path, stateDir, kind } = await ranOnceWithReverse();
    expect(await readFile(path, 'utf8')).toBe('during\n');
    // The next run's graph still uses the kind, but no longer this file.
    const other = join(dir, 'other');
    const second = await started(graphOf([kind], [{ kind: 'diskfile', name: other, params: { path: other, content: 'x' } }]), stateDir);
    expect(await readFile(path, 'utf8')).toBe('before\n');
    await second.stop();
  });
});

/** An engine (converger timeout 0, no watches) that notes each convergence it declares, with the last line of `log` then. */
async function engineTellingConvergence(log: string[]): Promise<{ engine: Engine; declared: string[] }> {
  const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, watch: false });
  const declared: string[] = [];
  const set = engine.converged.set.bind(engine.converged);
  engine.converged.set = (value: boolean) => {
    declared.push(`converged=${value} after ${log.at(-1) ?? 'nothing'}`);
    set(value);
  };
  return { engine, declared };
}

/** A kind whose version 1 checks as `firstCheck` does and whose version 2 answers at once; each check is logged. */
function slowKind(log: string[], firstCheck: (signal: AbortSignal) => Promise<boolean>): AnyResourceDefinition {
  return defineResource({
    kind: 'slow',
    params: Type.Object({ version: Type.Number() }),
    create(params) {
      return {
        checkApply(_apply, signal) {
          log.push(`check v${params.version}`);
          return params.version === 2 ? true : firstCheck(signal);
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

describe('convergence across a graph swap', () => {
  it('is not declared between a replaced resource leaving and its replacement running (QA: a reload said converged too soon)', async () => {
    const log: string[] = [];
    // Version 1 checks until it is aborted.
    const slow = slowKind(log, (signal) => new Promise<boolean>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })));
    const { engine, declared } = await engineTellingConvergence(log);
    await engine.start(graphOf([slow], [{ kind: 'slow', name: 'x', params: { version: 1 } }]));
    while (!log.includes('check v1')) await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.swap(graphOf([slow], [{ kind: 'slow', name: 'x', params: { version: 2 } }]));
    await engine.whenConverged(AbortSignal.timeout(5_000));
    await engine.stop();
    // Only once version 2 has checked.
    expect(declared.filter((line) => line.startsWith('converged=true'))[0]).toBe('converged=true after check v2');
  });

  it('is not declared while the swap waits for a replaced resource to realize (meta: {realize: true}; QA)', async () => {
    const log: string[] = [];
    // Version 1 realizes (converges once) 150 ms after the swap begins to wait for it.
    const slow = slowKind(log, () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 150)));
    const { engine, declared } = await engineTellingConvergence(log);
    await engine.start(graphOf([slow], [{ kind: 'slow', name: 'x', params: { version: 1 }, meta: { realize: true } }]));
    while (!log.includes('check v1')) await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.swap(graphOf([slow], [{ kind: 'slow', name: 'x', params: { version: 2 } }]));
    await engine.whenConverged(AbortSignal.timeout(5_000));
    await engine.stop();
    expect(declared.filter((line) => line.startsWith('converged=true'))[0]).toBe('converged=true after check v2');
  });
});
