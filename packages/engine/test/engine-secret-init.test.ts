import { setTimeout as sleep } from 'node:timers/promises';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { MASK } from '../src/runtime/secrets.js';
import { graphOf, runToConvergence } from './support/graph.js';

const TOKEN = 'TOK4f8e2a9c1b';

/** A kind with a secret send that learns its secret in an init that takes a while (a password saved by an earlier run, read from disk). */
const keeper = defineResource({
  kind: 'keeper',
  params: Type.Object({}),
  sends: Type.Object({ token: Type.String({ secret: true }) }),
  create: () => ({
    async init(ctx) {
      await sleep(50);
      ctx.secret?.(TOKEN);
    },
    checkApply: () => true,
  }),
}) as unknown as AnyResourceDefinition;

/** A kind whose check fails at once with the secret in its message (a command that printed it to stderr). */
const leaky = defineResource({
  kind: 'leaky',
  params: Type.Object({}),
  create: () => ({
    checkApply() {
      throw new Error(`the command said ${TOKEN}`);
    },
  }),
}) as unknown as AnyResourceDefinition;

describe('secrets learnt in init', () => {
  it.each([
    ['watching', true],
    ['one-shot', false],
  ])('are masked in what other resources say from their first check on (%s; QA: a saved password shown in clear)', async (_how, watch) => {
    const engine = await runToConvergence(graphOf([keeper, leaky], [{ kind: 'leaky', name: 'show' }, { kind: 'keeper', name: 'db' }]), { watch });
    const messages = engine.failures().map((error) => error.message);
    expect(messages).toEqual([`checkApply failed: the command said ${MASK}`]);
    await engine.stop();
  });
});
