import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execResource } from '@converge/res-exec';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { tempDir } from './helpers.js';

// QA: an exec whose watchcmd prints without end (`yes`) starved the whole
// engine: a file beside it took 3.4–8 s to be repaired instead of ~20 ms,
// Node sat at 100% CPU, and the exec's own cmd ran 14 times in 9 s. Its
// reader now holds the writer back (res-exec's LineEvents), as mgmt's does.

/** Far above a repair on a loaded 2-core machine (~20–300 ms), far below what the flood made it. */
const REPAIR_BOUND_MS = 1_000;

let dir: string;
let remove: () => Promise<void>;
let running: TestEngine | undefined;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await remove();
});

async function contentOf(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

async function runsOf(path: string): Promise<number> {
  return (await contentOf(path)).length;
}

describe('an exec whose watchcmd prints without end', () => {
  it('does not delay the repairs of another resource, and its cmd still runs for its changes', async () => {
    const drift = join(dir, 'drift');
    const runs = join(dir, 'runs');
    running = await startTestEngine({
      resources: [fileResource, execResource],
      yaml: [
        'graph: noisy',
        'resources:',
        '  exec:',
        '  - name: noisy',
        `    cmd: printf x >> ${runs}`,
        '    shell: /bin/sh',
        '    watchcmd: /usr/bin/yes',
        '  file:',
        `  - name: ${drift}`,
        '    state: exists',
        '    content: "ok\\n"',
        '',
      ].join('\n'),
    });
    // The exec never settles (each line is a change): wait for the file and a few runs instead.
    const started = Date.now();
    while ((await contentOf(drift)) !== 'ok\n' || (await runsOf(runs)) < 2) {
      expect(Date.now() - started, 'the graph did not start').toBeLessThan(10_000);
      await sleep(10);
    }

    const repairs: number[] = [];
    for (let round = 0; round < 5; round++) {
      await writeFile(drift, 'drifted\n');
      const drifted = performance.now();
      while ((await contentOf(drift)) !== 'ok\n') {
        expect(performance.now() - drifted, `repair ${round} (earlier: ${repairs.join(', ')} ms)`).toBeLessThan(REPAIR_BOUND_MS);
        await sleep(5);
      }
      repairs.push(Math.round(performance.now() - drifted));
      await sleep(100);
    }

    // Its lines are still changes: cmd keeps running for them.
    const before = await runsOf(runs);
    await sleep(1_500);
    expect(await runsOf(runs)).toBeGreaterThan(before);

    const stopping = performance.now();
    await running.stop();
    running = undefined;
    expect(performance.now() - stopping).toBeLessThan(2_000);
  }, 30_000);
});
