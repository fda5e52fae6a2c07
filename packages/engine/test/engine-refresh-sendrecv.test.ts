import { describe, expect, it } from 'vitest';
import { defineResource, Type, type AnyResourceDefinition, type EngineError } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';
import { RefreshStore } from '../src/runtime/refresh-store.js';
import { graphOf, runToConvergence, tempStateDir } from './support/graph.js';
import { newJournal, recordingKind } from './support/recording-kind.js';
import { until } from './support/until.js';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';

describe('refresh over notify edges', () => {
  it('a change sets refresh on the notify edge; the receiver sees it once', async () => {
    const journal = newJournal();
    const graph = graphOf(
      [recordingKind(journal)],
      [
        { kind: 'rec', name: 'config', params: { changes: true } },
        { kind: 'rec', name: 'service' },
        { kind: 'rec', name: 'bystander' },
      ],
      [
        { from: 'rec[config]', to: 'rec[service]', notify: true },
        { from: 'rec[config]', to: 'rec[bystander]' },
      ],
    );
    const engine = await runToConvergence(graph);
    expect(journal.events).toContain('start service apply=true refresh=true value=undefined');
    expect(journal.events.find((event) => event.startsWith('start bystander'))).toContain('refresh=false');
    // Cleared after the successful run: a later run sees no refresh.
    journal.events.length = 0;
    journal.contexts.get('service')?.event();
    await until(() => journal.events.includes('end service'), 'the service to run again');
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=false');
    await engine.stop();
  });

  it('a pending refresh survives a crash of the receiver (persisted in the state dir)', async () => {
    const stateDir = await tempStateDir();
    const journal = newJournal();
    const rec = recordingKind(journal);
    const first = graphOf(
      [rec],
      [
        { kind: 'rec', name: 'config', params: { changes: true } },
        { kind: 'rec', name: 'service', params: { failTimes: 1 } },
      ],
      [{ from: 'rec[config]', to: 'rec[service]', notify: true }],
    );
    const crashed = new Engine({ stateDir, convergerTimeout: 0 });
    await crashed.start(first);
    await crashed.whenConverged(AbortSignal.timeout(5000));
    expect(crashed.failures()[0]?.resource).toBe('rec[service]');
    await crashed.stop();
    // A new engine on the same state dir: the config is already in place now,
    // but the service still gets the refresh it never consumed.
    journal.events.length = 0;
    const second = graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], [
      { from: 'rec[config]', to: 'rec[service]', notify: true },
    ]);
    const restarted = await runToConvergence(second, { stateDir });
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=true');
    await restarted.stop();
  });
});

describe('a pending refresh whose receiver no notify edge leads to any more', () => {
  const failingReceiver = (rec: AnyResourceDefinition): ReturnType<typeof graphOf> =>
    graphOf(
      [rec],
      [
        { kind: 'rec', name: 'config', params: { changes: true } },
        { kind: 'rec', name: 'service', params: { failTimes: 100 } },
      ],
      [{ from: 'rec[config]', to: 'rec[service]', notify: true }],
    );

  it('is dropped when a swap removes the receiver, and a resource of that name added later runs without it (QA: a refreshonly restart fired with no notifier)', async () => {
    const stateDir = await tempStateDir();
    const journal = newJournal();
    const rec = recordingKind(journal);
    const engine = new Engine({ stateDir, convergerTimeout: 0 });
    await engine.start(failingReceiver(rec));
    await engine.whenConverged(AbortSignal.timeout(5000));
    expect(engine.failures()[0]?.resource).toBe('rec[service]');
    expect(await readdir(join(stateDir, 'refresh'))).toHaveLength(1);

    await engine.swap(graphOf([rec], [{ kind: 'rec', name: 'config' }], []));
    expect(await readdir(join(stateDir, 'refresh'))).toEqual([]);
    journal.events.length = 0;
    await engine.swap(graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], []));
    await until(() => journal.events.some((event) => event.startsWith('start service')), 'the service to run');
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=false');
    await engine.stop();
  });

  it('is dropped at the start of a graph with no notify edge into the receiver, and kept (delivered) with one', async () => {
    const journal = newJournal();
    const rec = recordingKind(journal);
    for (const [edges, refreshed] of [[[], false], [[{ from: 'rec[config]', to: 'rec[service]', notify: true }], true]] as const) {
      const stateDir = await tempStateDir();
      const crashed = new Engine({ stateDir, convergerTimeout: 0 });
      await crashed.start(failingReceiver(rec));
      await crashed.whenConverged(AbortSignal.timeout(5000));
      await crashed.stop();
      journal.events.length = 0;
      const next = graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], [...edges]);
      const restarted = await runToConvergence(next, { stateDir });
      expect(journal.events.find((event) => event.startsWith('start service'))).toContain(`refresh=${refreshed}`);
      await restarted.stop();
    }
  });
});

describe('a pending refresh of a group', () => {
  /** A groupable kind that records whether each check of a group came with a refresh. */
  function refreshedKind(checks: string[]): AnyResourceDefinition {
    return defineResource({
      kind: 'restart',
      params: Type.Object({ item: Type.String() }),
      nameParam: 'item',
      groupable: { groupCmp: () => true },
      create(params) {
        let items = [params.item];
        let refresh = (): boolean => false;
        return {
          init(ctx) {
            refresh = () => ctx.refresh();
          },
          group(members) {
            items = [params.item, ...members.map((member) => member.item)];
          },
          checkApply() {
            checks.push(`${items.join('+')} refresh=${refresh()}`);
            return true;
          },
        };
      },
    }) as unknown as AnyResourceDefinition;
  }

  it('is delivered to the group that now holds its resource when the group has another first member (QA: dropped as no longer in the graph)', async () => {
    const stateDir = await tempStateDir();
    const checks: string[] = [];
    const kind = refreshedKind(checks);
    const graphWith = (order: readonly string[]): ReturnType<typeof graphOf> =>
      graphOf(
        [recordingKind(newJournal()), kind],
        [{ kind: 'rec', name: 'config' }, ...order.map((item) => ({ kind: 'restart', name: item, params: { item } }))],
        order.map((item) => ({ from: 'rec[config]', to: `restart[${item}]`, notify: true })),
      );
    // Left pending under the group's first member by a run killed before the group ran.
    await mkdir(join(stateDir, 'refresh'), { recursive: true });
    await new RefreshStore(stateDir).set('restart[a]');
    const engine = await runToConvergence(graphWith(['b', 'a']), { stateDir });
    expect(checks).toEqual(['b+a refresh=true']);
    expect(await readdir(join(stateDir, 'refresh'))).toEqual([]);
    await engine.stop();
  });
});

describe('a refresh sent while the receiver runs', () => {
  it('runs the receiver again for it, instead of clearing it with the refresh it was running for (QA: the second config change never restarted the service)', async () => {
    const journal = newJournal();
    let changesOwed = 1;
    let config: { event(): void } | undefined;
    // A sender that changes once per change owed (a config file edited by hand, put back).
    const edited = defineResource({
      kind: 'edited',
      params: Type.Object({}),
      create: () => ({
        init(ctx) {
          config = ctx;
        },
        async watch(signal: AbortSignal) {
          config?.event();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
        checkApply(apply: boolean) {
          if (changesOwed === 0) return true;
          if (apply) changesOwed--;
          return false;
        },
      }),
    }) as unknown as AnyResourceDefinition;
    const graph = graphOf(
      [edited, recordingKind(journal)],
      [
        { kind: 'edited', name: 'config' },
        { kind: 'rec', name: 'service', params: { sleepMs: 300, watch: true } },
      ],
      [{ from: 'edited[config]', to: 'rec[service]', notify: true }],
    );
    const engine = await runToConvergence(graph);
    const refreshedRuns = () => journal.events.filter((event) => event === 'start service apply=true refresh=true value=undefined').length;
    expect(refreshedRuns()).toBe(1);
    journal.events.length = 0;
    changesOwed = 1;
    config?.event();
    await until(() => refreshedRuns() === 1, 'the service to start for the first change');
    // The second change comes while the service still runs for the first.
    changesOwed = 1;
    config?.event();
    await until(() => refreshedRuns() === 2 && journal.events.filter((event) => event === 'end service').length === 2, 'the service to run again for the second change');
    await engine.stop();
  });
});

describe('unreadable state records', () => {
  it('warns about a refresh or reversal record it cannot read, naming the file, and runs on', async () => {
    const stateDir = await tempStateDir();
    await mkdir(join(stateDir, 'refresh'), { recursive: true });
    await mkdir(join(stateDir, 'reversals'), { recursive: true });
    await writeFile(join(stateDir, 'refresh', 'torn.json'), '{garbage');
    await writeFile(join(stateDir, 'reversals', 'torn.json'), '');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const engine = await runToConvergence(graphOf([], [{ kind: 'noop', name: 'a' }]), { stateDir, logger });
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual([
      `cannot read ${join(stateDir, 'refresh', 'torn.json')} (it is not valid JSON): a pending refresh it may hold is ignored; remove the file once you have seen to it`,
      `cannot read ${join(stateDir, 'reversals', 'torn.json')} (it is not valid JSON): a reversal it may hold is ignored; remove the file once you have seen to it`,
    ]);
    await engine.stop();
  });
});

/**
 * A run whose notifying sender (rec[config]) hangs mid-change and is then
 * cut short: a forced stop stands in for kill -9, as nothing after the
 * abort is written. The journal is emptied for the next run.
 */
async function crashedMidSender() {
  const stateDir = await tempStateDir();
  const journal = newJournal();
  const rec = recordingKind(journal);
  const edges = [{ from: 'rec[config]', to: 'rec[service]', notify: true }];
  const crashed = new Engine({ stateDir, convergerTimeout: 0 });
  await crashed.start(graphOf([rec], [{ kind: 'rec', name: 'config', params: { hang: true } }, { kind: 'rec', name: 'service' }], edges));
  // Cut off once the sender's check has begun (its intent is written before), however slow the machine.
  await until(() => journal.events.some((event) => event.startsWith('start config')), 'the sender to start its check');
  crashed.abort();
  await crashed.stop();
  journal.events.length = 0;
  return { stateDir, journal, rec, edges };
}

describe('refresh across a crash in the middle of the sender', () => {
  it('refreshes the receivers of a sender that was cut off during its checkApply', async () => {
    const { stateDir, journal, rec, edges } = await crashedMidSender();
    // Next run: the sender now finds nothing to do, yet the receiver is refreshed.
    const restarted = await runToConvergence(graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], edges), { stateDir });
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=true');
    await restarted.stop();
  });

  it('a dry run (--noop) after the crash says the receiver would run with the refresh, and leaves the state folder as the crash left it (QA: it rewrote it)', async () => {
    const { stateDir, journal, rec, edges } = await crashedMidSender();
    const leftBehind = (await readdir(join(stateDir, 'refresh'))).sort();
    expect(leftBehind).toHaveLength(1);
    expect(leftBehind[0]).toMatch(/^intent-/);
    const dryRun = await runToConvergence(graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], edges), { stateDir, noop: true });
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=true');
    await dryRun.stop();
    expect((await readdir(join(stateDir, 'refresh'))).sort()).toEqual(leftBehind);
    // The real run that follows still refreshes the receiver.
    journal.events.length = 0;
    const real = await runToConvergence(graphOf([rec], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], edges), { stateDir });
    expect(journal.events.find((event) => event.startsWith('start service'))).toContain('refresh=true');
    await real.stop();
  });

  it('a sender whose check fails by itself refreshes nobody, also at the next start (a clean stop leaves no intent behind)', async () => {
    const stateDir = await tempStateDir();
    const journal = newJournal();
    const rec = recordingKind(journal);
    const edges = [{ from: 'rec[config]', to: 'rec[service]', notify: true }];
    const failing = await runToConvergence(graphOf([rec], [{ kind: 'rec', name: 'config', params: { failTimes: 10 } }, { kind: 'rec', name: 'service' }], edges), { stateDir });
    expect(failing.failures().map((failure) => failure.resource)).toEqual(['rec[config]']);
    await failing.stop();
    // A fresh kind: the failures planned above are not carried over.
    const after = newJournal();
    const next = await runToConvergence(graphOf([recordingKind(after)], [{ kind: 'rec', name: 'config' }, { kind: 'rec', name: 'service' }], edges), { stateDir });
    expect(after.events.find((event) => event.startsWith('start service'))).toContain('refresh=false');
    await next.stop();
  });
});

describe('send/recv', () => {
  it("fills the receiver's param from the sender and tells it the value changed", async () => {
    const seen: Array<{ value: unknown; changed: boolean | undefined }> = [];
    const receiver = defineResource({
      kind: 'sink',
      params: Type.Object({ value: Type.Optional(Type.String()) }),
      create(params) {
        let received: () => ReadonlyMap<string, { changed: boolean }> = () => new Map();
        return {
          init(ctx) {
            received = () => ctx.recv();
          },
          checkApply() {
            seen.push({ value: params.value, changed: received().get('value')?.changed });
            return true;
          },
        };
      },
    }) as unknown as AnyResourceDefinition;
    const journal = newJournal();
    const graph = graphOf(
      [recordingKind(journal), receiver],
      [
        { kind: 'rec', name: 'source', params: { sendValue: 'hello' } },
        { kind: 'sink', name: 'sink', params: { value: 'initial' } },
      ],
      [{ from: 'rec[source]', to: 'sink[sink]', send: 'out', recv: 'value' }],
    );
    const engine = await runToConvergence(graph);
    expect(seen[0]).toEqual({ value: 'hello', changed: true });
    await engine.stop();
  });

  /**
   * Runs a `rec` that sends `value` into `param` of a resource of `kind`
   * (with `params`); returns its failure and how often its checkApply ran.
   */
  async function receiving(
    kind: Omit<Parameters<typeof defineResource>[0], 'create'>,
    params: Record<string, unknown>,
    value: string,
    param: string,
  ): Promise<{ failure: EngineError | undefined; checks: number }> {
    let checks = 0;
    const receiver = defineResource({
      ...kind,
      create: () => ({
        checkApply: () => {
          checks++;
          return true;
        },
      }),
    } as Parameters<typeof defineResource>[0]) as unknown as AnyResourceDefinition;
    const graph = graphOf(
      [recordingKind(newJournal()), receiver],
      [
        { kind: 'rec', name: 'source', params: { sendValue: value } },
        { kind: kind.kind, name: 'sink', params },
      ],
      [{ from: 'rec[source]', to: `${kind.kind}[sink]`, send: 'out', recv: param }],
    );
    const engine = await runToConvergence(graph);
    const failure = engine.failures()[0];
    await engine.stop();
    return { failure, checks };
  }

  it('checks a received value against the constraints of its param before checkApply, without quoting it', async () => {
    const { failure, checks } = await receiving(
      { kind: 'strict', params: Type.Object({ code: Type.Optional(Type.String({ minLength: 6 })) }) },
      {},
      'abc',
      'code',
    );
    expect(failure?.resource).toBe('strict[sink]');
    expect(failure?.message).toMatch(/^param 'code' received a value that does not fit it: .*length/);
    expect(failure?.message).not.toContain('abc');
    expect(checks).toBe(0);
  });

  it("quotes the param's pattern as the kind wrote it, capitals and all", async () => {
    const { failure, checks } = await receiving(
      { kind: 'keyed', params: Type.Object({ key: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' })) }) },
      {},
      'Q-Q',
      'key',
    );
    expect(failure?.message).toBe("param 'key' received a value that does not fit it: expected string to match '^[A-Za-z_][A-Za-z0-9_.]*$'");
    expect(checks).toBe(0);
  });

  it("runs the kind's validate with the received values in, before checkApply", async () => {
    const { failure, checks } = await receiving(
      {
        kind: 'either',
        params: Type.Object({ content: Type.Optional(Type.String()), absent: Type.Optional(Type.Boolean()) }),
        validate: (params: { content?: string; absent?: boolean }) =>
          params.absent && params.content !== undefined ? [{ param: 'content', message: 'content makes no sense when absent', hint: 'drop one' }] : [],
      },
      { absent: true },
      'hunter2',
      'content',
    );
    expect(failure?.resource).toBe('either[sink]');
    expect(failure?.message).toBe("with the values received (content): param 'content': content makes no sense when absent");
    expect(failure?.hint).toBe('drop one');
    expect(checks).toBe(0);
  });

  it("runs a receiver whose kind's validate only warns with the values in (QA: a file's warning failed every check)", async () => {
    const { failure, checks } = await receiving(
      {
        kind: 'warns',
        params: Type.Object({ content: Type.Optional(Type.String()) }),
        validate: (params: { content?: string }) =>
          params.content !== undefined ? [{ param: 'content', message: 'content without state', severity: 'warning' as const }] : [],
      },
      {},
      'hello',
      'content',
    );
    expect(failure).toBeUndefined();
    expect(checks).toBeGreaterThan(0);
  });

  it("never quotes a received value in the kind's validate message or in a checkApply error", async () => {
    const { failure } = await receiving(
      {
        kind: 'picky',
        params: Type.Object({ owner: Type.Optional(Type.String()) }),
        validate: (params: { owner?: string }) => (params.owner?.includes('-') ? [{ param: 'owner', message: `"${params.owner}" has a dash` }] : []),
      },
      {},
      'TOPSECRET-from-stdout',
      'owner',
    );
    expect(failure?.message).toBe(`with the values received (owner): param 'owner': "<param owner, received>" has a dash`);

    const failing = defineResource({
      kind: 'lookup',
      params: Type.Object({ owner: Type.Optional(Type.String()) }),
      create: (params: { owner?: string }) => ({
        checkApply: () => {
          throw new Error(`no such user: ${params.owner}`);
        },
      }),
    }) as unknown as AnyResourceDefinition;
    const graph = graphOf(
      [recordingKind(newJournal()), failing],
      [
        { kind: 'rec', name: 'source', params: { sendValue: 'TOPSECRET' } },
        { kind: 'lookup', name: 'sink', params: {} },
      ],
      [{ from: 'rec[source]', to: 'lookup[sink]', send: 'out', recv: 'owner' }],
    );
    const engine = await runToConvergence(graph);
    const error = engine.failures()[0];
    await engine.stop();
    expect(error?.message).toMatch(/no such user: <param owner, received>$/);
    expect(JSON.stringify(engine.statuses())).not.toContain('TOPSECRET');
  });
});

describe('autoedges', () => {
  const dirKind = defineResource({
    kind: 'dir',
    params: Type.Object({ path: Type.String() }),
    nameParam: 'path',
    edgeable: {
      uids: (params) => [{ kind: 'dir', key: params.path }],
      *autoEdges(params) {
        // Nearest managed ancestor only.
        let path = params.path;
        while (path.lastIndexOf('/') > 0) {
          path = path.slice(0, path.lastIndexOf('/'));
          const matched = yield [{ kind: 'dir', key: path }];
          if (matched[0]) return;
        }
      },
    },
    create: () => ({ checkApply: () => true }),
  }) as unknown as AnyResourceDefinition;

  it('adds an edge from the nearest managed ancestor, unless autoedge is off', async () => {
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(
      graphOf(
        [dirKind],
        [
          { kind: 'dir', name: '/a', params: { path: '/a' } },
          { kind: 'dir', name: '/a/b', params: { path: '/a/b' } },
          { kind: 'dir', name: '/a/b/c/d', params: { path: '/a/b/c/d' } },
          { kind: 'dir', name: '/a/x', params: { path: '/a/x' }, meta: { autoedge: false } },
        ],
      ),
    );
    const edges = engine.edges().map((edge) => `${edge.from} -> ${edge.to} (${edge.origin})`);
    expect(edges.sort()).toEqual(['dir[/a/b] -> dir[/a/b/c/d] (auto)', 'dir[/a] -> dir[/a/b] (auto)']);
    await engine.stop();
  });
});
