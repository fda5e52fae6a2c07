import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';
import { graphOf, tempStateDir } from './support/graph.js';

/** A kind whose checkApply takes 300 ms (unless aborted) and logs how it ended. */
function slowKind(log: string[]): AnyResourceDefinition {
  return defineResource({
    kind: 'slow',
    params: Type.Object({}),
    create: () => ({
      async checkApply(_apply: boolean, signal: AbortSignal) {
        try {
          await sleep(300, undefined, { signal });
          log.push('finished');
          return false;
        } catch (error) {
          log.push('aborted');
          throw error;
        }
      },
    }),
  }) as unknown as AnyResourceDefinition;
}

async function swappedAwayWhileRunning(realize: boolean): Promise<string[]> {
  const log: string[] = [];
  const kind = slowKind(log);
  const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
  await engine.start(graphOf([kind], [{ kind: 'slow', name: 'migrate', params: {}, meta: { realize } }]));
  await sleep(50);
  await engine.swap(graphOf([kind], [{ kind: 'noop', name: 'next' }]));
  await engine.whenConverged(AbortSignal.timeout(10_000));
  await engine.stop();
  return log;
}

describe('meta: {realize: true}', () => {
  it('lets a resource the swap removes converge once before it goes; without it the running check is aborted', async () => {
    expect(await swappedAwayWhileRunning(true)).toEqual(['finished']);
    expect(await swappedAwayWhileRunning(false)).toEqual(['aborted']);
  });
});
