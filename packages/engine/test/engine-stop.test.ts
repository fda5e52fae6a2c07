import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defineResource, Type, type AnyResourceDefinition, type ResourceContext } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';
import { graphOf, tempStateDir } from './support/graph.js';

/** `slow`: its second run (started by its own watch) takes 500 ms. Every step is logged. */
function timedKind(log: string[]): AnyResourceDefinition {
  return defineResource({
    kind: 'timed',
    params: Type.Object({ slow: Type.Boolean() }),
    create: (params: { slow: boolean }) => {
      let ctx: ResourceContext<{ slow: boolean }> | undefined;
      let runs = 0;
      const name = params.slow ? 'slow' : 'idle';
      return {
        init(context) {
          ctx = context;
        },
        async watch(signal: AbortSignal) {
          ctx?.event();
          if (params.slow) setTimeout(() => ctx?.event(), 50);
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          log.push(`${name} watch ended`);
        },
        async checkApply() {
          runs++;
          if (params.slow && runs === 2) {
            log.push('slow change started');
            await sleep(500);
            log.push('slow change done');
          }
          return true;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

describe('orderly stop', () => {
  it("ends an idle resource's watch at once, without waiting for another's running change", async () => {
    const log: string[] = [];
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(
      graphOf([timedKind(log)], [
        { kind: 'timed', name: 'slow', params: { slow: true } },
        { kind: 'timed', name: 'idle', params: { slow: false } },
      ]),
    );
    await expect.poll(() => log.includes('slow change started')).toBe(true);
    await engine.stop();
    expect(log).toEqual(['slow change started', 'idle watch ended', 'slow change done', 'slow watch ended']);
  });
});
