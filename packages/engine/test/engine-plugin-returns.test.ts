import { describe, expect, it } from 'vitest';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';
import { graphOf, runToConvergence, tempStateDir } from './support/graph.js';

// What a plugin written in plain JS can return where its types would not let
// TypeScript: each is the plugin's bug, told as the failure of its resource,
// never a crash of the engine or a success.

const CREATED = {
  null: null,
  undefined,
  number: 42,
  promise: Promise.resolve({ checkApply: () => true }),
  empty: {},
  instance: { checkApply: () => true },
} as const;

/** A kind whose `made` param picks what its create returns. */
function createsKind(): AnyResourceDefinition {
  return defineResource({
    kind: 'creates',
    params: Type.Object({ made: Type.String() }),
    create: ({ made }) => CREATED[made as keyof typeof CREATED] as never,
  }) as unknown as AnyResourceDefinition;
}

describe('what create returns', () => {
  it.each([
    ['null', 'create returned no instance (null)'],
    ['undefined', 'create returned no instance (undefined)'],
    ['number', 'create returned no instance (a number)'],
    ['promise', 'create returned no instance (a promise)'],
    ['empty', 'create returned an instance without checkApply'],
  ])('%s fails that resource as its plugin\'s bug; the others run', async (made, told) => {
    const graph = graphOf(
      [createsKind()],
      [
        { kind: 'creates', name: 'broken', params: { made } },
        { kind: 'creates', name: 'fine', params: { made: 'instance' } },
        { kind: 'noop', name: 'after' },
      ],
      [{ from: 'creates[broken]', to: 'noop[after]' }],
    );
    const engine = await runToConvergence(graph);
    expect(engine.failures().map((failure) => [failure.resource, failure.code, failure.message])).toEqual([
      ['creates[broken]', 'ERR_RESOURCE_INIT', `${told}: a bug of the plugin that provides 'creates'`],
    ]);
    const states = Object.fromEntries(engine.statuses().map((status) => [status.id, status.state]));
    expect(states).toEqual({ 'creates[broken]': 'failed', 'creates[fine]': 'converged', 'noop[after]': 'blocked' });
    await engine.stop();
  });

  it('a resource a graph swap replaces with one its create makes nothing of fails; the swap completes', async () => {
    const kind = createsKind();
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    const first = engine.whenConverged(AbortSignal.timeout(10_000));
    await engine.start(graphOf([kind], [{ kind: 'creates', name: 'x', params: { made: 'instance' } }]));
    await first;
    await engine.swap(
      graphOf(
        [kind],
        [
          { kind: 'creates', name: 'x', params: { made: 'null' } },
          { kind: 'noop', name: 'added' },
        ],
      ),
    );
    await engine.whenConverged(AbortSignal.timeout(10_000));
    const states = Object.fromEntries(engine.statuses().map((status) => [status.id, status.state]));
    expect(states).toEqual({ 'creates[x]': 'failed', 'noop[added]': 'converged' });
    expect(engine.failures()[0]?.message).toBe("create returned no instance (null): a bug of the plugin that provides 'creates'");
    await engine.stop();
  });
});
