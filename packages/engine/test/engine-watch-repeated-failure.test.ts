import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineResource, Type, type AnyResourceDefinition, type MetaParams, type ResourceContext } from '@converge/engine-api';
import { graphOf, tempStateDir } from './support/graph.js';
import { until, untilAborted } from './support/until.js';
import { Engine } from '../src/runtime/engine.js';

// A watch that keeps failing and is started again (meta.retry, meta.rewatch)
// is told as a check's retries are (README): a warning for the first failure,
// for one that differs, and for the first after a start that stayed up; the
// same failure again at debug. A flapping watch warned at every restart.

/** How each start of the watch goes, in turn: up for `upMs` (live), then fails with `fails`; after the last, up until stopped. */
type Start = { upMs: number; fails: string };

function scriptedWatchKind(starts: Start[], startTimes: number[] = []): AnyResourceDefinition {
  return defineResource({
    kind: 'flap',
    params: Type.Object({}),
    create() {
      let ctx: ResourceContext | undefined;
      return {
        init(context: ResourceContext) {
          ctx = context;
        },
        checkApply: () => Promise.resolve(true),
        async watch(signal: AbortSignal) {
          startTimes.push(performance.now());
          ctx?.event();
          const start = starts.shift();
          if (start === undefined) return untilAborted(signal);
          await sleep(start.upMs, undefined, { signal });
          throw new Error(start.fails);
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** The watch's log lines, as level and message, at debug and above. */
function watchLog(): { lines: Array<{ level: string; msg: string }>; logger: pino.Logger } {
  const lines: Array<{ level: string; msg: string }> = [];
  const write = (line: string): void => {
    const { level, msg } = JSON.parse(line) as { level: number; msg: string };
    if (msg.startsWith('watch failed, ')) lines.push({ level: pino.levels.labels[level] ?? String(level), msg });
  };
  return { lines, logger: pino({ level: 'debug' }, { write }) };
}

async function runFlapping(starts: Start[], meta: Partial<MetaParams>, startTimes: number[] = []): Promise<Array<{ level: string; msg: string }>> {
  const { lines, logger } = watchLog();
  const total = starts.length;
  const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: -1, logger });
  await engine.start(graphOf([scriptedWatchKind(starts, startTimes)], [{ kind: 'flap', name: 'w', meta }]));
  await until(() => lines.length === total && startTimes.length > total, `${total} watch failures and the start after`, 15_000);
  await engine.stop();
  return lines;
}

describe('engine: a watch that keeps failing and is started again', () => {
  it('warns of the first failure, of one that differs, and of the first after a start that stayed up; the same again at debug', async () => {
    const lines = await runFlapping(
      [
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'host unreachable' },
        { upMs: 0, fails: 'host unreachable' },
        // Up for longer than a flapping watch is (5 s): it had recovered.
        { upMs: 5_200, fails: 'host unreachable' },
        { upMs: 0, fails: 'host unreachable' },
      ],
      { retry: -1, delay: 20 },
    );
    expect(lines.map(({ level, msg }) => `${level} ${msg.replace(/^watch failed, retrying in 20 ms \(retries without limit\): watch failed: /, '')}`)).toEqual([
      'warn connection refused',
      'debug connection refused',
      'debug connection refused',
      'warn host unreachable',
      'debug host unreachable',
      'warn host unreachable',
      'debug host unreachable',
    ]);
  }, 20_000);

  it('under rewatch, the same', async () => {
    const lines = await runFlapping(
      [
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'host unreachable' },
      ],
      { rewatch: true },
    );
    expect(lines).toEqual([
      { level: 'warn', msg: 'watch failed, restarting: watch failed: connection refused' },
      { level: 'debug', msg: 'watch failed, restarting: watch failed: connection refused' },
      { level: 'warn', msg: 'watch failed, restarting: watch failed: host unreachable' },
    ]);
  });

  it('under rewatch, starts again at once after a start that stayed up, not after the backoff the flapping before had grown to', async () => {
    const startTimes: number[] = [];
    await runFlapping(
      [
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'connection refused' },
        { upMs: 0, fails: 'connection refused' },
        // The backoff is 800 ms now; up for longer than a flapping watch is (5 s): it had recovered.
        { upMs: 5_200, fails: 'connection refused' },
      ],
      { rewatch: true },
      startTimes,
    );
    const [, , , recovered, next] = startTimes as [number, number, number, number, number];
    // Failed 5.2 s after it started; started again after the first backoff (100 ms), not 800.
    expect(next - recovered - 5_200).toBeLessThan(500);
  }, 20_000);
});
