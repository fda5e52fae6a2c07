import { describe, expect, it } from 'vitest';
import { graphOf, runToConvergence } from './support/graph.js';
import { newJournal, recordingKind } from './support/recording-kind.js';

// A check retried without limit (retry: -1) that keeps failing holds the
// graph unconverged: a run that ends once converged would never end (QA: a
// one-shot run retried /bin/false until a signal). It gives up, as on a
// watch restarted without limit (engine-watch-retry.test.ts).

describe('engine: a check retried without limit that keeps failing', () => {
  it('in a one-shot run, fails its resource after failing for 5 s, naming why; one that passes before is not given up on', async () => {
    const journal = newJournal();
    const started = performance.now();
    const engine = await runToConvergence(
      graphOf(
        [recordingKind(journal)],
        [
          { kind: 'rec', name: 'never', params: { failTimes: 1_000_000 }, meta: { retry: -1, delay: 200 } },
          { kind: 'rec', name: 'soon', params: { failTimes: 3 }, meta: { retry: -1, delay: 200 } },
        ],
      ),
      { watch: false, untilConverged: true, convergerTimeout: 0 },
      30_000,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(engine.statuses().map((status) => [status.id, status.state])).toEqual([
      ['rec[never]', 'failed'],
      ['rec[soon]', 'converged'],
    ]);
    const [failure] = engine.failures();
    expect(engine.failures()).toHaveLength(1);
    expect(failure?.resource).toBe('rec[never]');
    expect(failure?.message).toMatch(/^its check keeps failing \(\d+ failures in [\d.]+ s, retry: -1\), so the graph cannot converge: .*planned failure of never/);
    // Tried every 200 ms meanwhile, not given up on at once.
    expect(journal.events.filter((event) => event === 'fail never').length).toBeGreaterThanOrEqual(10);
    await engine.stop();
  }, 40_000);
});
