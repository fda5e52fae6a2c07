import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { graphOf, runToConvergence } from './support/graph.js';
import { until } from './support/until.js';

// A plain-JS plugin can ctx.send what its declared sends do not allow: the
// sender's check fails for it, and the receiver never gets the value.

/** A kind that sends `sent` (JSON) in its checkApply, and says it converged. */
function senderKind(late?: { send?: (values: Record<string, unknown>) => void }): AnyResourceDefinition {
  return defineResource({
    kind: 'sender',
    params: Type.Object({ sent: Type.String() }),
    sends: Type.Object({ value: Type.String(), code: Type.String({ minLength: 6 }), port: Type.Integer({ minimum: 1 }) }),
    create: ({ sent }) => {
      let send: (values: Record<string, unknown>) => void = () => undefined;
      return {
        init(ctx) {
          send = (values) => ctx.send(values as never);
          if (late) late.send = send;
        },
        checkApply() {
          send(JSON.parse(sent) as Record<string, unknown>);
          return true;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** A kind that notes the content it was given when it runs. */
function receiverKind(got: unknown[]): AnyResourceDefinition {
  return defineResource({
    kind: 'receiver',
    params: Type.Object({ content: Type.Optional(Type.String()) }),
    create: (params) => ({
      checkApply() {
        got.push(params.content);
        return true;
      },
    }),
  }) as unknown as AnyResourceDefinition;
}

async function sending(sent: unknown, key = 'value'): Promise<{ failures: [string | undefined, string][]; states: Record<string, string>; got: unknown[] }> {
  const got: unknown[] = [];
  const graph = graphOf(
    [senderKind(), receiverKind(got)],
    [
      { kind: 'sender', name: 'from', params: { sent: JSON.stringify(sent) } },
      { kind: 'receiver', name: 'to' },
    ],
    [{ from: 'sender[from]', to: 'receiver[to]', send: key, recv: 'content' }],
  );
  const engine = await runToConvergence(graph);
  const failures = engine.failures().map((failure): [string | undefined, string] => [failure.resource, failure.message]);
  const states = Object.fromEntries(engine.statuses().map((status) => [status.id, status.state]));
  await engine.stop();
  return { failures, states, got };
}

const BUG = "a bug of the plugin that provides 'sender'";

describe('what a resource sends is checked against its declared sends', () => {
  it("a value of the wrong type, or a key it does not declare, fails the sender's check; the receiver gets nothing", async () => {
    const { failures, states, got } = await sending({ value: 42, bogus: 1 });
    expect(failures).toEqual([
      [
        'sender[from]',
        `ctx.send broke the sends its kind declares: key 'value' was sent a number that does not fit it (expected string); key 'bogus' is not one of its sends: ${BUG}`,
      ],
    ]);
    expect(states).toEqual({ 'sender[from]': 'failed', 'receiver[to]': 'blocked' });
    expect(got).toEqual([]);
  });

  it('never shows the value sent, which may be a secret', async () => {
    const { failures } = await sending({ code: 'TOKEN', port: 'TOKEN-abc123' }, 'code');
    expect(failures).toEqual([
      [
        'sender[from]',
        `ctx.send broke the sends its kind declares: key 'code' was sent a string that does not fit it (expected string (length >= 6)); key 'port' was sent a string that does not fit it (expected whole number (>= 1)): ${BUG}`,
      ],
    ]);
  });

  it('a value that fits is passed on as before', async () => {
    const { failures, states, got } = await sending({ value: 'hello', port: 8080 });
    expect(failures).toEqual([]);
    expect(states).toEqual({ 'sender[from]': 'converged', 'receiver[to]': 'converged' });
    expect(got).toEqual(['hello']);
  });

  it('a send that breaks them after the check has ended is told as a warning', async () => {
    const lines: string[] = [];
    const late: { send?: (values: Record<string, unknown>) => void } = {};
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const graph = graphOf([senderKind(late)], [{ kind: 'sender', name: 'from', params: { sent: '{}' } }]);
    const engine = await runToConvergence(graph, { logger });
    late.send?.({ port: 'TOKEN-abc123' });
    await until(() => lines.length > 0, 'the warning');
    const line = JSON.parse(lines[0] ?? '{}') as { resource?: string; msg?: string };
    expect(line.resource).toBe('sender[from]');
    expect(line.msg).toBe(`ctx.send broke the sends its kind declares: key 'port' was sent a string that does not fit it (expected whole number (>= 1)): ${BUG}`);
    expect(engine.failures()).toEqual([]);
    await engine.stop();
  });
});
