import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL('../dist/state-lock.js', import.meta.url));

afterEach(() => removeTempDirs());

/**
 * Six processes that try to take the state directory's lock at the same
 * moment; what each got. The one that gets it holds it until the others
 * have answered (or 20 s passed): on a loaded machine a process may start
 * late, and would rightly take over the lock of a holder that has exited.
 */
async function contend(dir: string): Promise<string[]> {
  const script = join(dir, 'take.mjs');
  const release = join(dir, 'release');
  await writeFile(
    script,
    `import { existsSync } from 'node:fs';
import { lockStateDir } from ${JSON.stringify(MODULE)};
const [dir, at, release] = process.argv.slice(2);
while (Date.now() < Number(at)) {}
try {
  lockStateDir(dir);
  console.log('got');
  const until = Date.now() + 20_000;
  while (!existsSync(release) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
} catch (error) { console.log(error.message.includes('is in use by another converge run') ? 'refused' : error.message); }
`,
  );
  const state = join(dir, 'state');
  const at = String(Date.now() + 700);
  let answered = 0;
  const outcomes = Array.from({ length: 6 }, () =>
    run(process.execPath, [script, state, at, release]).then(({ stdout }) => {
      answered++;
      return stdout.trim();
    }),
  );
  const deadline = Date.now() + 20_000;
  while (answered < 5 && Date.now() < deadline) await sleep(20);
  await writeFile(release, '');
  return (await Promise.all(outcomes)).sort();
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

  it("takes over the lock of a killed run that is still a zombie (its parent has not reaped it: a container without an init; QA)", async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    await mkdir(state);
    const script = join(dir, 'hold.mjs');
    await writeFile(script, `import { lockStateDir } from ${JSON.stringify(MODULE)};\nlockStateDir(process.argv[2]);\nconsole.log('got');\nsetInterval(() => {}, 1000);\n`);
    // sh becomes sleep, which never reaps the background holder: killed, it stays a zombie.
    const parent = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(script)} ${JSON.stringify(state)} & echo $!; exec sleep 60`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      while (!/\d+\n[\s\S]*got/.test(output)) await sleep(20);
      const holder = Number(output.split('\n')[0]);
      process.kill(holder, 'SIGKILL');
      const stateOf = (): string => readFileSync(`/proc/${holder}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
      while (stateOf() !== 'Z') await sleep(20);
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import { lockStateDir } from ${JSON.stringify(MODULE)}; lockStateDir(${JSON.stringify(state)}); console.log('got');`]);
      expect(stdout.trim()).toBe('got');
    } finally {
      parent.kill('SIGKILL');
    }
  }, 30_000);
});
