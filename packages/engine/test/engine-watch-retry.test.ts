import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { graphOf, runToConvergence, tempStateDir } from './support/graph.js';
import { newJournal, recordingKind, type Journal } from './support/recording-kind.js';
import { until } from './support/until.js';
import { Engine } from '../src/runtime/engine.js';

// mgmt (engine/metaparams.go): Retry "is used for both Watch and CheckApply",
// with Delay between tries; the watch's count is its own.

function warnings(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'warn' }, { write: (line: string) => lines.push((JSON.parse(line) as { msg: string }).msg) }) };
}

const watchBreaks = (journal: Journal, name: string): number => journal.events.filter((event) => event === `watch broke ${name}`).length;

describe('engine: retry and delay apply to a failing watch', () => {
  it('starts the watch again after delay, up to retry times, telling the first (the same failure again at debug), then fails the resource; not converged meanwhile', async () => {
    const journal = newJournal();
    const { lines, logger } = warnings();
    const started = performance.now();
    const engine = await runToConvergence(
      graphOf([recordingKind(journal)], [{ kind: 'rec', name: 'w', params: { watchThrows: true }, meta: { retry: 2, delay: 100 } }]),
      { logger },
    );
    // Converged only once the last try failed: two delays.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(watchBreaks(journal, 'w')).toBe(3);
    expect(lines.filter((line) => line.startsWith('watch failed, retrying'))).toEqual([
      expect.stringMatching(/^watch failed, retrying in 100 ms \(1 more after it\): .*watch broke/),
    ]);
    expect(engine.statuses()[0]?.state).toBe('failed');
    expect(engine.failures()[0]?.code).toBe('ERR_RESOURCE_WATCH');
    await sleep(250);
    expect(watchBreaks(journal, 'w')).toBe(3);
    await engine.stop();
  });

  it('fails the resource with its watch\'s failure when the engine stops while the watch waits to start again, as a check waiting to retry does (QA: a --converged-exit run ended with 0)', async () => {
    const journal = newJournal();
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: -1 });
    await engine.start(graphOf([recordingKind(journal)], [{ kind: 'rec', name: 'w', params: { watchThrows: true }, meta: { retry: 2, delay: 60_000 } }]));
    await until(() => watchBreaks(journal, 'w') === 1, 'the watch to break once');
    expect(engine.failures()).toEqual([]);
    await engine.stop();
    expect(engine.statuses()[0]?.state).toBe('failed');
    expect(engine.failures().map((failure) => failure.code)).toEqual(['ERR_RESOURCE_WATCH']);
    expect(watchBreaks(journal, 'w')).toBe(1);
  });

  it("has a budget of its own: failing checks do not spend the watch's tries, nor the other way round", async () => {
    const journal = newJournal();
    const { lines, logger } = warnings();
    const engine = await runToConvergence(
      graphOf([recordingKind(journal)], [{ kind: 'rec', name: 'w', params: { watchThrows: true, failTimes: 2 }, meta: { retry: 2, delay: 50 } }]),
      { logger },
    );
    expect(journal.events.filter((event) => event === 'fail w')).toHaveLength(2);
    expect(watchBreaks(journal, 'w')).toBe(3);
    // The second retry of each failed as its first did: told at debug, as a failure found again is.
    expect(lines.filter((line) => /^(checkApply|watch) failed, retrying/.test(line)).sort()).toEqual([
      expect.stringMatching(/^checkApply failed, retrying in 50 ms \(1 more after it\): /),
      expect.stringMatching(/^watch failed, retrying in 50 ms \(1 more after it\): /),
    ]);
    expect(engine.failures()[0]?.code).toBe('ERR_RESOURCE_WATCH');
    await engine.stop();
  });

  it('retry -1 restarts it for ever; with retryreset a successful check gives it its whole budget again; a stop cancels a restart to come', async () => {
    const journal = newJournal();
    const rec = recordingKind(journal);
    const graph = graphOf(
      [rec],
      [
        { kind: 'rec', name: 'forever', params: { watchThrows: true }, meta: { retry: -1, delay: 40 } },
        // Each start of its watch is an event, whose check succeeds before the next try.
        { kind: 'rec', name: 'reset', params: { watchThrows: true }, meta: { retry: 1, retryreset: true, delay: 40 } },
        { kind: 'rec', name: 'slow', params: { watchThrows: true }, meta: { retry: 1, delay: 60_000 } },
      ],
    );
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(graph);
    await until(() => watchBreaks(journal, 'forever') >= 5 && watchBreaks(journal, 'reset') >= 5, 'five restarts of each watch');
    expect(engine.failures()).toEqual([]);
    // A restart is pending (the slow one's for a minute): the graph is not converged, and a stop does not wait for it.
    expect(engine.converged.get()).toBe(false);
    const stopping = performance.now();
    await engine.stop();
    expect(performance.now() - stopping).toBeLessThan(2000);
    const atStop = journal.events.length;
    await sleep(150);
    expect(journal.events.length).toBe(atStop);
    expect(watchBreaks(journal, 'slow')).toBe(1);
  });

  it('rewatch takes precedence: restarted for ever with its back-off, whatever retry says', async () => {
    const journal = newJournal();
    const { lines, logger } = warnings();
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0, logger });
    await engine.start(graphOf([recordingKind(journal)], [{ kind: 'rec', name: 'w', params: { watchThrows: true }, meta: { rewatch: true, retry: 1, delay: 10 } }]));
    await sleep(500);
    // Back-off 100, 200 ms...: tries at 0, 100, 300 ms.
    expect(watchBreaks(journal, 'w')).toBeGreaterThanOrEqual(3);
    expect(watchBreaks(journal, 'w')).toBeLessThanOrEqual(4);
    expect(engine.failures()).toEqual([]);
    expect(lines.every((line) => line.startsWith('watch failed, restarting: '))).toBe(true);
    await engine.stop();
  });
});

describe('engine: a watch restarted without limit that keeps failing', () => {
  it('under rewatch, is down between its restarts: not converged, and its status says so with the failure (QA: counted as converged)', async () => {
    const journal = newJournal();
    const engine = new Engine({ stateDir: await tempStateDir(), convergerTimeout: 0 });
    await engine.start(graphOf([recordingKind(journal)], [{ kind: 'rec', name: 'w', params: { watchThrows: true }, meta: { rewatch: true } }]));
    await until(() => watchBreaks(journal, 'w') >= 3, 'the watch to break three times');
    // Each restart goes live (an event) and breaks at once: down nearly all the time, never converged.
    expect(engine.converged.get()).toBe(false);
    await until(() => engine.statuses()[0]?.watchDown !== undefined, 'the status to say its watch is down');
    expect(engine.statuses()[0]?.watchDown?.message).toContain('watch broke');
    expect(engine.failures()).toEqual([]);
    await engine.stop();
  });

  it('in a run that ends once converged, fails its resource once it has kept failing for the quiet time (rewatch and retry -1 alike)', async () => {
    const journal = newJournal();
    const started = performance.now();
    const engine = await runToConvergence(
      graphOf(
        [recordingKind(journal)],
        [
          { kind: 'rec', name: 'rewatched', params: { watchThrows: true }, meta: { rewatch: true } },
          { kind: 'rec', name: 'forever', params: { watchThrows: true }, meta: { retry: -1, delay: 50 } },
        ],
      ),
      { convergerTimeout: 0.5, untilConverged: true },
    );
    // Not before the quiet time: a watch that fails for less may yet come up.
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(engine.statuses().map((status) => status.state)).toEqual(['failed', 'failed']);
    for (const failure of engine.failures()) {
      expect(failure.code).toBe('ERR_RESOURCE_WATCH');
      expect(failure.message).toMatch(/^its watch keeps failing \(\d+ failures in [\d.]+ s, never up for the 0\.5 s quiet time\), so the graph cannot converge: .*watch broke/);
    }
    const breaks = watchBreaks(journal, 'rewatched');
    await sleep(300);
    expect(watchBreaks(journal, 'rewatched')).toBe(breaks);
    await engine.stop();
  });
});
