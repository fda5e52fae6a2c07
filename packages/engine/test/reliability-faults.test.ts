import { setTimeout as sleep } from 'node:timers/promises';
import { defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/runtime/engine.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { graphOf, runToConvergence, tempStateDir } from './support/graph.js';

// Faults injected by a test kind, one per fault: what the engine does with
// each is what meta retry/delay/timeout/rewatch document (engine-api meta.ts).

interface Calls {
  checks: number[];
  watches: number;
  settledLate: number;
  /** Calls started and not yet ended, and the most there ever were at once. */
  running: number;
  mostAtOnce: number;
}

/** A kind whose `fault` param picks how it misbehaves. */
function faultyKind(calls: Calls): AnyResourceDefinition {
  return defineResource({
    kind: 'faulty',
    params: Type.Object({
      fault: Type.Union([
        Type.Literal('throws'),
        Type.Literal('throws-non-error'),
        Type.Literal('never-resolves'),
        Type.Literal('ignores-abort'),
        Type.Literal('explains-abort'),
        Type.Literal('slow-to-stop'),
        Type.Literal('init-throws'),
        Type.Literal('init-hangs'),
        Type.Literal('watch-dies'),
        Type.Literal('none'),
      ]),
    }),
    create({ fault }) {
      return {
        init() {
          if (fault === 'init-throws') throw new Error('init broke');
          if (fault === 'init-hangs') return new Promise<void>(() => undefined);
          return undefined;
        },
        checkApply(_apply: boolean, signal: AbortSignal) {
          calls.checks.push(performance.now());
          if (fault === 'throws') throw new Error('checkApply broke');
          if (fault === 'throws-non-error') throw 'a string, not an Error';
          if (fault === 'never-resolves') return new Promise<boolean>(() => undefined);
          if (fault === 'slow-to-stop') {
            // Takes 300 ms to stop once aborted, as a command in its grace period does.
            calls.running++;
            calls.mostAtOnce = Math.max(calls.mostAtOnce, calls.running);
            return new Promise<boolean>((_, reject) => {
              signal.addEventListener('abort', () => setTimeout(() => {
                calls.running--;
                reject(new Error('stopped'));
              }, 300), { once: true });
            });
          }
          if (fault === 'explains-abort') {
            // Ends at its abort with an account of what it was waiting for (as a command's stderr would).
            return new Promise<boolean>((_, reject) => {
              signal.addEventListener('abort', () => reject(new Error('stopped while waiting for the lock on /var/lib/x')), { once: true });
            });
          }
          if (fault === 'ignores-abort') {
            // Settles long after its abort: that late result must be ignored.
            return sleep(300).then(() => {
              calls.settledLate++;
              return signal.aborted;
            });
          }
          return true;
        },
        ...(fault === 'watch-dies'
          ? {
              async watch() {
                calls.watches++;
                throw new Error('watch died');
              },
            }
          : {}),
      };
    },
  }) as unknown as AnyResourceDefinition;
}

const newCalls = (): Calls => ({ checks: [], watches: 0, settledLate: 0, running: 0, mostAtOnce: 0 });

describe('failing resources under injected faults', () => {
  it('a throwing checkApply is retried meta.retry times, meta.delay apart, then fails with its message', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'throws' }, meta: { retry: 3, delay: 40 } }]);
    const engine = await runToConvergence(graph);
    expect(calls.checks).toHaveLength(4);
    for (let index = 1; index < calls.checks.length; index++) {
      expect((calls.checks[index] ?? 0) - (calls.checks[index - 1] ?? 0)).toBeGreaterThanOrEqual(35);
    }
    const failure = engine.failures()[0];
    expect(failure?.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(failure?.resource).toBe('faulty[x]');
    expect(failure?.message).toContain('checkApply broke');
    await engine.stop();
  });

  it('a thrown non-Error is a resource error too, never an engine crash', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'throws-non-error' } }, { kind: 'noop', name: 'fine' }]);
    const engine = await runToConvergence(graph);
    expect(engine.failures().map((failure) => [failure.resource, failure.message])).toEqual([
      ['faulty[x]', 'checkApply failed: threw a non-error value: a string, not an Error'],
    ]);
    expect(engine.statuses().find((status) => status.name === 'fine')?.state).toBe('converged');
    await engine.stop();
  });

  it('a retry after a timeout waits for the timed-out call to end: two tries never run at once', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'slow-to-stop' }, meta: { timeout: 50, retry: 2 } }]);
    const engine = await runToConvergence(graph);
    expect(calls.checks).toHaveLength(3);
    expect(calls.mostAtOnce).toBe(1);
    expect(engine.failures()[0]?.code).toBe('ERR_RESOURCE_TIMEOUT');
    await engine.stop();
  });

  it('a polled resource that fails the same way at every poll does not keep the graph from converging', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'throws' }, meta: { poll: 0.2 } }]);
    const started = performance.now();
    // Quiet for 0.6 s while polls (every 0.2 s) keep failing as before.
    const engine = await runToConvergence(graph, { convergerTimeout: 0.6 }, 5_000);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(calls.checks.length).toBeGreaterThanOrEqual(3);
    expect(engine.failures().map((failure) => failure.message)).toEqual(['checkApply failed: checkApply broke']);
    await engine.stop();
  });

  it('a timed-out checkApply that ends at its abort has what it said told with the timeout', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'explains-abort' }, meta: { timeout: 60 } }]);
    const engine = await runToConvergence(graph);
    const failure = engine.failures()[0];
    expect(failure?.code).toBe('ERR_RESOURCE_TIMEOUT');
    expect(failure?.message).toBe('checkApply did not finish within 60 ms; stopped then: stopped while waiting for the lock on /var/lib/x');
    await engine.stop();
  });

  it('a never-resolving checkApply is abandoned after meta.timeout on every try (a retry waits 5 s for it first), then fails with ERR_RESOURCE_TIMEOUT', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'never-resolves' }, meta: { timeout: 60, retry: 1 } }]);
    const started = performance.now();
    const engine = await runToConvergence(graph, {}, 15_000);
    expect(calls.checks).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 60 + 5_000 - 5);
    const failure = engine.failures()[0];
    expect(failure?.code).toBe('ERR_RESOURCE_TIMEOUT');
    expect(failure?.message).toBe('checkApply did not finish within 60 ms');
    expect(engine.runningCalls()).toEqual([]);
    // The abandoned calls do not hold the stop.
    const stopping = performance.now();
    await engine.stop();
    expect(performance.now() - stopping).toBeLessThan(1_000);
  });

  it('a call that ignores its abort settles late, and that late result changes nothing', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'x', params: { fault: 'ignores-abort' }, meta: { timeout: 50 } }]);
    const engine = await runToConvergence(graph);
    expect(engine.failures()[0]?.code).toBe('ERR_RESOURCE_TIMEOUT');
    await sleep(350);
    expect(calls.settledLate).toBe(1);
    expect(engine.statuses()[0]?.state).toBe('failed');
    await engine.stop();
  });

  it('a hung checkApply without a timeout is named while the engine stops, and a forced stop abandons it', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'stuck', params: { fault: 'never-resolves' } }]);
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(graph);
    while (calls.checks.length === 0) await sleep(5);
    const stopped = engine.stop();
    await sleep(50);
    expect(engine.runningCalls()).toEqual([expect.stringMatching(/^faulty\[stuck\]: checkApply running for \d+\.\d s$/)]);
    engine.abort();
    await stopped;
    expect(engine.runningCalls()).toEqual([]);
    expect(engine.statuses()[0]?.state).toBe('failed');
  });

  it('an init that throws, or hangs past meta.timeout, fails that resource only', async () => {
    const calls = newCalls();
    const graph = graphOf(
      [faultyKind(calls)],
      [
        { kind: 'faulty', name: 'throws', params: { fault: 'init-throws' } },
        { kind: 'faulty', name: 'hangs', params: { fault: 'init-hangs' }, meta: { timeout: 50 } },
        { kind: 'faulty', name: 'fine', params: { fault: 'none' } },
      ],
    );
    const engine = await runToConvergence(graph);
    const failures = Object.fromEntries(engine.failures().map((failure) => [failure.resource, failure.code]));
    expect(failures).toEqual({ 'faulty[throws]': 'ERR_RESOURCE_INIT', 'faulty[hangs]': 'ERR_RESOURCE_TIMEOUT' });
    expect(engine.statuses().find((status) => status.name === 'fine')?.state).toBe('converged');
    expect(calls.checks).toHaveLength(1);
    await engine.stop();
  });

  it('a watch that keeps dying is restarted with rewatch, backing off, and leaves no timer after stop', async () => {
    const calls = newCalls();
    const graph = graphOf([faultyKind(calls)], [{ kind: 'faulty', name: 'w', params: { fault: 'watch-dies' }, meta: { rewatch: true } }]);
    const timersBefore = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(graph);
    await sleep(800);
    // Backoff 100, 200, 400 ms...: a few restarts in 800 ms, not hundreds.
    expect(calls.watches).toBeGreaterThanOrEqual(3);
    expect(calls.watches).toBeLessThanOrEqual(6);
    expect(engine.failures()).toEqual([]);
    await engine.stop();
    const watchesAtStop = calls.watches;
    await sleep(500);
    expect(calls.watches).toBe(watchesAtStop);
    expect(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });
});

describe('absurdly nested input', () => {
  it('50,000 nested brackets are refused as too deep, not as a stack overflow', () => {
    const text = `graph: g\nresources:\n  noop:\n  - name: a\n    comment: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    let error: unknown;
    try {
      parseGraphYaml(text, 'deep.yaml');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(GraphLoadError);
    const problems = (error as GraphLoadError).problems;
    expect(problems.map((problem) => problem.message)).toEqual(['nesting deeper than 64 levels']);
    expect(problems[0]?.location?.line).toBe(5);
    expect(problems[0]?.hint).toContain('flatten');
  });
});
