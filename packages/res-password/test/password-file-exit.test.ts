import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/password-file.js', import.meta.url));

let varDir: string;
beforeEach(async () => {
  varDir = await mkdtemp(join(tmpdir(), 'res-password-exit-'));
});
afterEach(async () => {
  await rm(varDir, { recursive: true, force: true });
});

it('a process that exits during a write of the password leaves no temp file holding it (a forced stop exits at once)', async () => {
  // Exits as soon as the temp file exists, before the write has gone further.
  const script = `
    import { readdirSync } from 'node:fs';
    import { writeSavedPassword } from ${JSON.stringify(BUILT)};
    const dir = ${JSON.stringify(varDir)};
    void writeSavedPassword(dir + '/password', 'sekrit');
    const exitOnceMade = () => readdirSync(dir).some((name) => name.endsWith('.tmp')) ? process.exit(1) : setImmediate(exitOnceMade);
    exitOnceMade();
  `;
  expect(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' })).toThrow();
  expect(await readdir(varDir)).toEqual([]);
});
