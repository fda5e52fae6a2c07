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

/** A kind whose checkApply returns `answer` (JSON), at once or, with `later`, through a promise. */
function answersKind(): AnyResourceDefinition {
  return defineResource({
    kind: 'answers',
    params: Type.Object({ answer: Type.String(), later: Type.Optional(Type.Boolean()) }),
    create: ({ answer, later }) => {
      const value: unknown = answer === 'undefined' ? undefined : JSON.parse(answer);
      return { checkApply: () => (later ? Promise.resolve(value as boolean) : (value as boolean)) };
    },
  }) as unknown as AnyResourceDefinition;
}

describe('what checkApply returns', () => {
  const cases = [
    ['"false"', 'a string'],
    ['"hunter2"', 'a string'],
    ['{}', 'an object'],
    ['{"token":"hunter2"}', 'an object'],
    ['[]', 'a list'],
    ['undefined', 'undefined'],
    ['null', 'null'],
    ['0', 'a number'],
  ] as const;
  // At once (the hot path), through a promise, and through the path with waits (a timeout).
  const ways = [
    ['at once', false, {}],
    ['through a promise', true, {}],
    ['under a timeout', true, { timeout: 5 }],
  ] as const;

  it.each(ways.flatMap(([way, later, meta]) => cases.map(([answer, told]) => [answer, way, told, later, meta] as const)))(
    'returned %s %s, fails the check, named by its type alone, as the plugin\'s bug',
    async (answer, _way, told, later, meta) => {
      const graph = graphOf(
        [answersKind()],
        [
          { kind: 'answers', name: 'broken', params: { answer, later }, meta },
          { kind: 'noop', name: 'after' },
        ],
        [{ from: 'answers[broken]', to: 'noop[after]' }],
      );
      const engine = await runToConvergence(graph);
      expect(engine.failures().map((failure) => [failure.resource, failure.code, failure.message])).toEqual([
        ['answers[broken]', 'ERR_RESOURCE_CHECK_APPLY', `checkApply returned ${told}, not true or false: a bug of the plugin that provides 'answers'`],
      ]);
      expect(engine.statuses().find((status) => status.id === 'noop[after]')?.state).toBe('blocked');
      await engine.stop();
    },
  );

  it('true is converged and false changed, at once or through a promise', async () => {
    const graph = graphOf(
      [answersKind()],
      [
        { kind: 'answers', name: 'same', params: { answer: 'true' } },
        { kind: 'answers', name: 'fixed', params: { answer: 'false', later: true } },
      ],
    );
    const engine = await runToConvergence(graph);
    expect(engine.failures()).toEqual([]);
    expect(engine.statuses().map((status) => [status.name, status.state, status.changes])).toEqual([
      ['same', 'converged', 0],
      ['fixed', 'converged', 1],
    ]);
    await engine.stop();
  });
});
