import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { tempDir } from './helpers.js';

// An event storm against a real engine with real file resources and real
// inotify: 10,000 drifting writes to 100 watched files, 100 in a row to
// each, in about two seconds.

const FILES = 100;
const WRITES = 10_000;
const MIB = 1024 * 1024;

let dir: string;
let remove: () => Promise<void>;
let running: TestEngine | undefined;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await remove();
});

const pathOf = (index: number): string => join(dir, `w${index}`);
const wanted = (index: number): string => `wanted ${index}\n`;

function graph(): string {
  const lines = ['graph: storm', 'resources:', '  file:'];
  for (let index = 0; index < FILES; index++) {
    lines.push(`  - name: ${pathOf(index)}`, '    state: exists', `    content: ${JSON.stringify(wanted(index))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Child process script: writes drift in a burst to each path in turn, then prints how long it took. */
const WRITER = `
const { writeFileSync } = require('node:fs');
const [count, ...paths] = process.argv.slice(1);
const started = performance.now();
const perPath = Math.ceil(Number(count) / paths.length);
for (let write = 0; write < Number(count); write++) writeFileSync(paths[Math.floor(write / perPath)], 'drift ' + write + '\\n');
process.stdout.write(String(performance.now() - started));
`;

/** Makes `writes` changes to `paths` from a child process; resolves with the milliseconds they took. */
async function writeStorm(paths: readonly string[], writes: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', WRITER, String(writes), ...paths]);
  return Number(stdout);
}

describe('an event storm', () => {
  it('keeps memory bounded, coalesces checkApply runs and converges after', async () => {
    running = await startTestEngine({ resources: [fileResource], yaml: graph() });
    await running.waitConverged(20_000);

    let checkApplies = 0;
    let events = 0;
    const stopCounting = running.engine.onEvent((event) => {
      if (event.type === 'checkApply') checkApplies++;
      if (event.type === 'event') events++;
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;

    // The writes come from another process, as drift does, so that the
    // engine's repairs (fsync'ed) do not slow the storm down.
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const stormMs = await writeStorm(Array.from({ length: FILES }, (_, index) => pathOf(index)), WRITES);
    clearInterval(sampler);

    await running.waitConverged(30_000);
    stopCounting();
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    for (let index = 0; index < FILES; index++) {
      expect(await readFile(pathOf(index), 'utf8')).toBe(wanted(index));
      expect(running.status(`file[${pathOf(index)}]`)?.state).toBe('converged');
    }
    // The storm takes about a second on an idle machine, but 7-16 s on a
    // loaded one (CI ran it in 15.8 s, the engine's fsync'ed repairs
    // contending with the writer): no bound on its time, which says nothing
    // about converge. A slow storm only makes coalescing harder to show, so
    // the bound below cannot pass because the storm was slow.
    const during = `(storm of ${WRITES} writes took ${Math.round(stormMs)} ms)`;
    expect(events, during).toBeGreaterThan(0);
    // Coalesced: a burst of 100 writes to one file (about 25 ms) comes to a
    // dozen checkApply runs, not one each: events that arrive while a check
    // runs make one more run (about 1,400 runs for 11,000 events when idle).
    expect(checkApplies, during).toBeGreaterThan(0);
    expect(checkApplies, during).toBeLessThan(WRITES / 4);
    expect((rssPeak - rssBefore) / MIB).toBeLessThan(200);
  }, 60_000);
});
