import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL('../dist/state-lock.js', import.meta.url));

afterEach(() => removeTempDirs());

/** Six processes that try to take the state directory's lock at the same moment; what each got. */
async function contend(dir: string): Promise<string[]> {
  const script = join(dir, 'take.mjs');
  await writeFile(
    script,
    `import { lockStateDir } from ${JSON.stringify(MODULE)};
const [dir, at] = process.argv.slice(2);
while (Date.now() < Number(at)) {}
try { lockStateDir(dir); console.log('got'); await new Promise((resolve) => setTimeout(resolve, 500)); }
catch (error) { console.log(error.message.includes('is in use by another converge run') ? 'refused' : error.message); }
`,
  );
  const state = join(dir, 'state');
  const at = String(Date.now() + 700);
  const outcomes = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, [script, state, at]).then(({ stdout }) => stdout.trim())));
  return outcomes.sort();
}

describe('the state directory lock', () => {
  it('goes to exactly one of several runs that start at the same moment, on a fresh directory and over a killed run\'s lock', async () => {
    for (const leftByKilledRun of [false, true]) {
      for (let round = 0; round < 3; round++) {
        const dir = await makeTempDir();
        await mkdir(join(dir, 'state'));
        if (leftByKilledRun) await writeFile(join(dir, 'state', 'run.lock'), '{"pid":999999,"started":"1"}\n');
        expect(await contend(dir)).toEqual(['got', 'refused', 'refused', 'refused', 'refused', 'refused']);
      }
    }
  }, 60_000);
});
