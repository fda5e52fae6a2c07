import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defineResource, EngineError, Type, type AnyResourceDefinition, type ResourceContext } from '@converge/engine-api';
import { autoGroup } from '../src/graph/autogroup.js';
import { Engine } from '../src/runtime/engine.js';
import { planGraph } from '../src/runtime/graph-plan.js';
import { graphOf, runToConvergence, tempStateDir } from './support/graph.js';
import { newJournal, recordingKind } from './support/recording-kind.js';
import { partialKind } from './support/partial-kind.js';
import { until } from './support/until.js';

/** A groupable kind that records which names each checkApply handled. */
function batchKind(runs: string[][]): AnyResourceDefinition {
  return defineResource({
    kind: 'batch',
    params: Type.Object({ mode: Type.Optional(Type.String()), item: Type.String() }),
    nameParam: 'item',
    groupable: { groupCmp: (a, b) => a.mode === b.mode },
    create(params) {
      let children: string[] = [];
      return {
        group(members) {
          children = members.map((member) => member.item);
        },
        checkApply() {
          runs.push([params.item, ...children]);
          return true;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** A groupable kind whose members named `bad…` fail: the error names them (EngineError.members), the others converge. */
function pickyKind(): AnyResourceDefinition {
  return defineResource({
    kind: 'picky',
    params: Type.Object({ item: Type.String() }),
    nameParam: 'item',
    groupable: { groupCmp: () => true },
    create(params) {
      let items = [params.item];
      return {
        group(members) {
          items = [params.item, ...members.map((member) => member.item)];
        },
        checkApply() {
          // Does what it can for every member, then says which it could not.
          const bad = items.flatMap((item, position) => (item.startsWith('bad') ? [position] : []));
          if (bad.length > 0) throw new EngineError('ERR_RESOURCE_CHECK_APPLY', `unknown: ${bad.map((position) => items[position]).join(', ')}`, { members: bad });
          return true;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** A groupable kind that records, per member, each check that saw a refresh. */
function refreshedKind(refreshed: string[]): AnyResourceDefinition {
  return defineResource({
    kind: 'refreshed',
    params: Type.Object({ item: Type.String() }),
    nameParam: 'item',
    refreshable: true,
    groupable: { groupCmp: () => true },
    create(params) {
      let items = [params.item];
      let ctx: ResourceContext<{ item: string }> | undefined;
      return {
        init(context) {
          ctx = context;
        },
        group(members) {
          items = [params.item, ...members.map((member) => member.item)];
        },
        checkApply() {
          if (ctx?.refresh()) refreshed.push(...items);
          return true;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

const batch = (item: string, mode = 'x', meta = {}) => ({ kind: 'batch', name: item, params: { item, mode }, meta });

describe('autogroup', () => {
  it('groups compatible resources into one vertex whose checkApply handles all of them', async () => {
    const runs: string[][] = [];
    const graph = graphOf([batchKind(runs)], [batch('a'), batch('b'), batch('c'), batch('d', 'other')]);
    const plan = planGraph(graph);
    expect([...plan.resources.keys()].sort()).toEqual(['batch[a]', 'batch[d]']);
    expect(plan.resources.get('batch[a]')?.group?.map((child) => child.id)).toEqual(['batch[b]', 'batch[c]']);
    const engine = await runToConvergence(graph);
    expect(runs.sort()).toEqual([['a', 'b', 'c'], ['d']]);
    // Every resource still has a status (the group's).
    expect(engine.statuses().map((status) => `${status.id}=${status.state}`).sort()).toEqual([
      'batch[a]=converged',
      'batch[b]=converged',
      'batch[c]=converged',
      'batch[d]=converged',
    ]);
    await engine.stop();
  });

  it('never groups resources that depend on each other, directly or through others', () => {
    const runs: string[][] = [];
    const graph = graphOf([batchKind(runs)], [batch('a'), batch('b'), batch('c'), { kind: 'noop', name: 'between', meta: { autogroup: false } }], [
      { from: 'batch[a]', to: 'batch[b]' },
      { from: 'batch[b]', to: 'noop[between]' },
      { from: 'noop[between]', to: 'batch[c]' },
    ]);
    const plan = planGraph(graph);
    expect(plan.resources.size).toBe(4);
    expect([...plan.resources.values()].every((resource) => !resource.group)).toBe(true);
  });

  it('moves the children’s edges to the parent and merges semaphores', () => {
    const runs: string[][] = [];
    const graph = graphOf(
      [batchKind(runs)],
      [batch('a', 'x', { sema: ['one'] }), batch('b', 'x', { sema: ['two:2'] }), { kind: 'noop', name: 'after', meta: { autogroup: false } }],
      [
        { from: 'batch[a]', to: 'noop[after]', notify: true },
        { from: 'batch[b]', to: 'noop[after]', notify: true },
      ],
    );
    const plan = planGraph(graph);
    expect(plan.resources.get('batch[a]')?.group?.map((child) => child.id)).toEqual(['batch[b]']);
    expect(plan.edges.map((edge) => `${edge.from}->${edge.to} notify=${edge.notify}`)).toEqual(['batch[a]->noop[after] notify=true']);
    expect(plan.resources.get('batch[a]')?.meta.sema).toEqual(['one', 'two:2']);
  });

  it('groups only resources with the same parents and children, notify flags included (a group waits, fails and notifies as one)', () => {
    const runs: string[][] = [];
    const noop = (name: string) => ({ kind: 'noop', name, meta: { autogroup: false } });
    const graph = graphOf(
      [batchKind(runs)],
      [batch('plain1'), batch('plain2'), batch('notifying'), batch('ordered'), batch('after'), batch('after2'), noop('svc'), noop('first')],
      [
        { from: 'batch[notifying]', to: 'noop[svc]', notify: true },
        { from: 'batch[ordered]', to: 'noop[svc]' },
        { from: 'noop[first]', to: 'batch[after]' },
        { from: 'noop[first]', to: 'batch[after2]' },
      ],
    );
    const groups = [...planGraph(graph).resources.values()].map((resource) => [resource.id, ...(resource.group ?? []).map((child) => child.id)]);
    expect(groups.filter((ids) => ids[0]?.startsWith('batch')).sort()).toEqual([
      ['batch[after]', 'batch[after2]'],
      ['batch[notifying]'],
      ['batch[ordered]'],
      ['batch[plain1]', 'batch[plain2]'],
    ]);
  });

  it('leaves out resources with meta: {autogroup: false}, and noops group', () => {
    const runs: string[][] = [];
    const graph = graphOf([batchKind(runs)], [batch('a'), batch('b', 'x', { autogroup: false }), { kind: 'noop', name: 'n1' }, { kind: 'noop', name: 'n2' }]);
    const plan = planGraph(graph);
    expect([...plan.resources.keys()].sort()).toEqual(['batch[a]', 'batch[b]', 'noop[n1]']);
  });

  it('groups a resource with meta: {noop: true} only with other noop ones (a group runs as one)', () => {
    const runs: string[][] = [];
    const graph = graphOf(
      [batchKind(runs)],
      [batch('a'), batch('b', 'x', { noop: true }), batch('c'), batch('d', 'x', { noop: true })],
    );
    const plan = planGraph(graph);
    expect([...plan.resources.keys()].sort()).toEqual(['batch[a]', 'batch[b]']);
    expect(plan.resources.get('batch[a]')?.group?.map((child) => child.id)).toEqual(['batch[c]']);
    expect(plan.resources.get('batch[b]')?.group?.map((child) => child.id)).toEqual(['batch[d]']);
  });

  it('groups only resources with the same metaparams, semaphores aside (QA: a member’s retry was dropped, and which one depended on the order)', () => {
    const runs: string[][] = [];
    const graph = graphOf(
      [batchKind(runs)],
      [
        batch('a'),
        batch('b', 'x', { retry: 2, delay: 300 }),
        batch('c'),
        batch('d', 'x', { retry: 2, delay: 300 }),
        batch('e', 'x', { reverse: true }),
        batch('f', 'x', { sema: ['one'] }),
      ],
    );
    const plan = planGraph(graph);
    expect([...plan.resources.keys()].sort()).toEqual(['batch[a]', 'batch[b]', 'batch[e]']);
    expect(plan.resources.get('batch[a]')?.group?.map((child) => child.id)).toEqual(['batch[c]', 'batch[f]']);
    expect(plan.resources.get('batch[b]')?.group?.map((child) => child.id)).toEqual(['batch[d]']);
    expect(plan.resources.get('batch[b]')?.meta.retry).toBe(2);
    expect(plan.resources.get('batch[e]')?.group).toBeUndefined();
  });

  it('splits groups that a dependency chain would tangle into a cycle', () => {
    // A chain of noops: greedy grouping pairs every other one, which would make
    // a cycle; the pass must undo that.
    const names = Array.from({ length: 6 }, (_, i) => `n${i}`);
    const graph = graphOf([], names.map((name) => ({ kind: 'noop', name })), names.slice(1).map((name, i) => ({ from: `noop[${names[i]}]`, to: `noop[${name}]` })));
    const grouped = autoGroup(graph.resources, graph.kinds, graph.edges);
    expect(grouped.resources.size).toBe(6);
    expect(() => planGraph(graph)).not.toThrow();
  });

  it('a group whose error names some of its members (EngineError.members) reports only those failed; the others converged', async () => {
    const picky = pickyKind();
    const graph = graphOf([picky], ['good1', 'good2', 'bad1'].map((item) => ({ kind: 'picky', name: item, params: { item } })));
    expect(planGraph(graph).resources.size).toBe(1);
    const engine = await runToConvergence(graph);
    const states = Object.fromEntries(engine.statuses().map((status) => [status.name, status.state]));
    expect(states).toEqual({ good1: 'converged', good2: 'converged', bad1: 'failed' });
    expect(engine.failures().map((failure) => [failure.resource, failure.message])).toEqual([['picky[bad1]', 'unknown: bad1']]);
    await engine.stop();
  });

  it('a resource that fails does not block what depends on another resource of its kind (QA: pkg)', async () => {
    const picky = pickyKind();
    const graph = graphOf(
      [picky],
      [...['good', 'bad'].map((item) => ({ kind: 'picky', name: item, params: { item } })), { kind: 'noop', name: 'after-good', meta: { autogroup: false } }],
      [{ from: 'picky[good]', to: 'noop[after-good]', notify: true }],
    );
    const engine = await runToConvergence(graph);
    const states = Object.fromEntries(engine.statuses().map((status) => [status.id, status.state]));
    expect(states).toEqual({ 'picky[good]': 'converged', 'picky[bad]': 'failed', 'noop[after-good]': 'converged' });
    await engine.stop();
  });

  it('tells changed only the members a group says it changed (changedMembers), also when it failed for others', async () => {
    const changesOf = (engine: Engine) => Object.fromEntries(engine.statuses().map((status) => [status.name, [status.state, status.changes]]));

    const ok = await runToConvergence(graphOf([partialKind()], ['old1', 'new1', 'old2'].map((item) => ({ kind: 'partial', name: item, params: { item } }))));
    expect(changesOf(ok)).toEqual({ old1: ['converged', 0], new1: ['converged', 1], old2: ['converged', 0] });
    await ok.stop();

    const changedLines: string[] = [];
    const failing = await runToConvergence(graphOf([partialKind()], ['old1', 'new1', 'bad1'].map((item) => ({ kind: 'partial', name: item, params: { item } }))), {
      logger: pino({ level: 'info' }, { write: (line: string) => changedLines.push(line) }),
    });
    expect(changesOf(failing)).toEqual({ old1: ['converged', 0], new1: ['converged', 1], bad1: ['failed', 0] });
    // Its log says changed for the member it changed, though the group failed for another (QA: not said at all; else under the group's first resource).
    const changed = changedLines.map((line) => JSON.parse(line) as { resource?: string; msg: string }).filter((line) => line.msg === 'changed');
    expect(changed.map((line) => line.resource)).toEqual(['partial[new1]']);
    await failing.stop();

    // A dry run that fails for one member still says which of the others would change, by name (QA: the log named the failing one).
    const lines: string[] = [];
    const dryRun = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, noop: true, logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) });
    const diffs: Array<{ diff: string; members?: readonly string[] }> = [];
    dryRun.onEvent((event) => {
      if (event.type === 'diff') diffs.push({ diff: event.diff, ...(event.members ? { members: event.members } : {}) });
    });
    const dryConverged = dryRun.whenConverged(AbortSignal.timeout(10_000));
    await dryRun.start(graphOf([partialKind()], ['old1', 'new1', 'bad1'].map((item) => ({ kind: 'partial', name: item, params: { item } }))));
    await dryConverged;
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('would change (noop), for the members that did not fail: partial[new1]');
    // And what they would do (QA: a pkg group with a missing package printed no install line for the others).
    await until(() => diffs.length > 0, 'the diff of the members that did not fail');
    expect(diffs).toEqual([{ diff: 'make new1', members: ['partial[new1]'] }]);
    const wouldChange = Object.fromEntries(dryRun.statuses().map((status) => [status.name, [status.state, status.wouldChange ?? false]]));
    expect(wouldChange).toEqual({ old1: ['converged', false], new1: ['converged', true], bad1: ['failed', false] });
    await dryRun.stop();
  });

  it('tags the lines of a group that failed for some members with the members they are about, not its first resource (QA: pkg[typo]: packages would change, for the others)', async () => {
    const lines: string[] = [];
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, noop: true, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });
    const converged = engine.whenConverged(AbortSignal.timeout(10_000));
    await engine.start(graphOf([partialKind()], ['bad1', 'new1', 'old1', 'new2', 'bad2'].map((item) => ({ kind: 'partial', name: item, params: { item } }))));
    await converged;
    await engine.stop();
    const told = lines.map((line) => JSON.parse(line) as { resource?: string; resources?: string[]; members?: unknown; msg: string });
    const about = (msg: string) => told.filter((line) => line.msg.startsWith(msg)).map(({ resource, resources, members }) => ({ resource, resources, members }));
    // The kind's own line (ctx.log with `members`), the engine's would-change line and the failure.
    expect(about('would make')).toEqual([{ resource: 'partial[new1]', resources: ['partial[new1]', 'partial[new2]'], members: undefined }]);
    expect(about('would change (noop), for the members that did not fail')).toEqual([{ resource: 'partial[new1]', resources: ['partial[new1]', 'partial[new2]'], members: undefined }]);
    expect(about('unknown')).toEqual([{ resource: 'partial[bad1]', resources: ['partial[bad1]', 'partial[bad2]'], members: undefined }]);
    // `resource` is written once in each line: the kind's line does not also carry its own.
    expect(lines.filter((line) => line.includes('"would make"')).map((line) => line.match(/"resource":/g)?.length)).toEqual([1]);
  });

  it("tells a group's dry-run diff as about the members that would change, not the group's first resource (QA: pkg[sl] headed cowsay's install)", async () => {
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, noop: true });
    const diffs: Array<{ id: string; diff: string; members?: readonly string[] }> = [];
    engine.onEvent((event) => {
      if (event.type === 'diff') diffs.push({ id: event.id, diff: event.diff, ...(event.members ? { members: event.members } : {}) });
    });
    const converged = engine.whenConverged(AbortSignal.timeout(10_000));
    await engine.start(graphOf([partialKind()], ['old1', 'new1', 'old2', 'new2'].map((item) => ({ kind: 'partial', name: item, params: { item } }))));
    await converged;
    expect(diffs).toEqual([{ id: 'partial[old1]', diff: 'make new1, new2', members: ['partial[new1]', 'partial[new2]'] }]);
    await engine.stop();

    // Its warning names those members too, not the group's first resource (QA: told of a converged one).
    const lines: string[] = [];
    const warned = await runToConvergence(
      graphOf([partialKind()], ['old1', 'new1'].map((item) => ({ kind: 'partial', name: item, params: { item } }))),
      { noop: true, logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) },
    );
    const told = lines.map((line) => JSON.parse(line) as { resource?: string; msg: string }).filter((line) => line.msg === 'would change (noop)');
    expect(told.map((line) => line.resource)).toEqual(['partial[new1]']);
    await warned.stop();
  });

  it('logs a blocked group as blocked for each of its members (QA: only the first was told)', async () => {
    const lines: string[] = [];
    const engine = await runToConvergence(
      graphOf(
        [partialKind()],
        [
          { kind: 'partial', name: 'bad0', params: { item: 'bad0' }, meta: { autogroup: false } },
          { kind: 'noop', name: 'n1' },
          { kind: 'noop', name: 'n2' },
        ],
        [
          { from: 'partial[bad0]', to: 'noop[n1]' },
          { from: 'partial[bad0]', to: 'noop[n2]' },
        ],
      ),
      { logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) },
    );
    const blocked = lines.map((line) => JSON.parse(line) as { resource?: string; msg: string }).filter((line) => line.msg.startsWith('blocked:'));
    expect(blocked.map((line) => line.resource).sort()).toEqual(['noop[n1]', 'noop[n2]']);
    expect(engine.statuses().filter((status) => status.state === 'blocked')).toHaveLength(2);
    await engine.stop();
  });

  it('keeps the refresh a member owes when its group changed it in a run that failed for another (QA: lost for good)', async () => {
    const journal = newJournal();
    const kinds = [partialKind(), recordingKind(journal)];
    const graph = (items: readonly string[]) =>
      graphOf(
        kinds,
        [...items.map((item) => ({ kind: 'partial', name: item, params: { item } })), { kind: 'rec', name: 'restart' }],
        items.map((item) => ({ from: `partial[${item}]`, to: 'rec[restart]', notify: true })),
      );
    const engine = await runToConvergence(graph(['new1', 'bad1']));
    const restarts = () => journal.events.filter((event) => event.startsWith('start restart'));
    // Blocked: it depends on bad1 too.
    expect(restarts()).toEqual([]);
    // With the failing member gone, the group has nothing left to change; new1's change still refreshes.
    await engine.swap(graph(['new1']));
    await engine.whenConverged(AbortSignal.timeout(10_000));
    expect(restarts()).toEqual(['start restart apply=true refresh=true value=undefined']);
    await engine.stop();
  });

  it('keeps a refresh pending for a group for each of its members when a reload splits the group (a spare refresh rather than a lost one)', async () => {
    const refreshed: string[] = [];
    const kinds = [partialKind(), pickyKind(), refreshedKind(refreshed)];
    const receivers = ['r1', 'r2'];
    // new1 changes and notifies both receivers, grouped as one vertex; bad1 fails, so they wait with the refresh pending.
    const graph = (split: boolean, blocked: boolean) =>
      graphOf(
        kinds,
        [
          { kind: 'partial', name: 'new1', params: { item: 'new1' } },
          ...(blocked ? [{ kind: 'picky', name: 'bad1', params: { item: 'bad1' } }] : []),
          ...receivers.map((item) => ({ kind: 'refreshed', name: item, params: { item }, meta: split && item === 'r2' ? { autogroup: false } : {} })),
        ],
        receivers.flatMap((item) => [
          { from: 'partial[new1]', to: `refreshed[${item}]`, notify: true },
          ...(blocked ? [{ from: 'picky[bad1]', to: `refreshed[${item}]` }] : []),
        ]),
      );
    const engine = await runToConvergence(graph(false, true));
    expect(refreshed).toEqual([]);
    await engine.swap(graph(true, false));
    await engine.whenConverged(AbortSignal.timeout(10_000));
    expect(refreshed.sort()).toEqual(['r1', 'r2']);
    await engine.stop();
  });

  it('a resource blocked by a group that failed for one member names that member, not the first of the group', async () => {
    const graph = graphOf(
      [pickyKind()],
      [...['good', 'bad'].map((item) => ({ kind: 'picky', name: item, params: { item } })), { kind: 'noop', name: 'after', meta: { autogroup: false } }],
      [
        { from: 'picky[good]', to: 'noop[after]' },
        { from: 'picky[bad]', to: 'noop[after]' },
      ],
    );
    expect(planGraph(graph).resources.get('picky[good]')?.group?.map((child) => child.id)).toEqual(['picky[bad]']);
    const engine = await runToConvergence(graph);
    expect(engine.statuses().find((status) => status.id === 'noop[after]')?.lastError?.message).toBe('not run: picky[bad] did not succeed');
    await engine.stop();
  });
});
