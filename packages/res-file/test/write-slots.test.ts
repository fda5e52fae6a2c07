import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileAtomic, writeFileAtomic } from '../src/atomic-write.js';
import { WRITES_AT_ONCE, writesInFlight } from '../src/write-slots.js';
import { tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  await remove();
});

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

/** Runs `writes` all at once, sampling the descriptors this process holds while they run; the most seen above the start. */
async function peakDescriptorsDuring(writes: () => Promise<unknown>[]): Promise<{ peak: number; mostActive: number }> {
  const before = openDescriptors();
  let peak = 0;
  let mostActive = 0;
  let done = false;
  const sample = (): void => {
    peak = Math.max(peak, openDescriptors() - before);
    mostActive = Math.max(mostActive, writesInFlight().active);
    if (!done) setImmediate(sample);
  };
  sample();
  await Promise.all(writes());
  done = true;
  return { peak, mostActive };
}

describe('file replacements at once', () => {
  // QA (the 10,000-file benchmark, cold, watching): every write of a first
  // run started at once, each holding its folder's and its temp file's
  // descriptors to its end; about 20,000 descriptors, the machine's limit:
  // EMFILE, and 20 resources failed.
  it(`hold at most ${WRITES_AT_ONCE} writes' descriptors at once, however many are started`, async () => {
    const count = WRITES_AT_ONCE * 5;
    const { peak, mostActive } = await peakDescriptorsDuring(() =>
      Array.from({ length: count }, (_, i) => writeFileAtomic(join(dir, `f${i}`), Buffer.from(`file ${i}\n`), { mode: 0o640 })),
    );
    expect(mostActive).toBeLessThanOrEqual(WRITES_AT_ONCE);
    // Two per write (its folder, its temp file), and a few of Node's own.
    expect(peak).toBeLessThanOrEqual(2 * WRITES_AT_ONCE + 32);
    expect(writesInFlight()).toEqual({ active: 0, waiting: 0 });
    for (const i of [0, 1, count - 1]) expect(await readFile(join(dir, `f${i}`), 'utf8')).toBe(`file ${i}\n`);
    expect(readdirSync(dir)).toHaveLength(count);
  });

  it('counts a copy\'s open source in its slot: a folder of thousands of sources is not held open while copies wait', async () => {
    const count = WRITES_AT_ONCE * 3;
    await Promise.all(Array.from({ length: count }, (_, i) => writeFileAtomic(join(dir, `s${i}`), Buffer.from(`source ${i}\n`))));
    const { peak } = await peakDescriptorsDuring(() => Array.from({ length: count }, (_, i) => copyFileAtomic(join(dir, `c${i}`), join(dir, `s${i}`))));
    expect(peak).toBeLessThanOrEqual(3 * WRITES_AT_ONCE + 32);
    expect(await readFile(join(dir, `c${count - 1}`), 'utf8')).toBe(`source ${count - 1}\n`);
  });
});
