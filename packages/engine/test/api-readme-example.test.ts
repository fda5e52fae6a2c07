import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, tempDir } from './api-support.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const programs: string[] = [];

afterEach(async () => {
  await Promise.all(programs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  await cleanUp();
});

/** The TypeScript block of the root README's "TypeScript API" section, as a user copies it. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## TypeScript API'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('no ```ts block in the README\'s TypeScript API section');
  return block;
}

/**
 * Compiles the README's example with tsc, as a project would (strict,
 * nodenext), its paths moved to `root` and `stateDir`, and runs it with node.
 * It is written inside the repository so that @converge/* resolve.
 */
async function runExample(root: string, stateDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const results = join(REPO, 'packages/engine/.test-results');
  await mkdir(results, { recursive: true });
  const program = await mkdtemp(join(results, 'readme-example-'));
  programs.push(program);
  const source = (await readmeExample()).replaceAll('/etc/app', root).replaceAll('/var/lib/converge', stateDir);
  await writeFile(join(program, 'example.ts'), source);
  const tsconfig = {
    extends: '../../../../tsconfig.base.json',
    compilerOptions: { composite: false, declaration: false, declarationMap: false, sourceMap: false, outDir: 'out', rootDir: '.' },
    files: ['example.ts'],
  };
  await writeFile(join(program, 'tsconfig.json'), JSON.stringify(tsconfig));
  await writeFile(join(program, 'package.json'), '{"type": "module"}\n');
  await run(join(REPO, 'node_modules/.bin/tsc'), ['-p', program]);
  return run(process.execPath, [join(program, 'out/example.js')], { timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({ code: error.code ?? -1, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe("the root README's TypeScript API example", () => {
  it('compiles, and on a host without its folder makes it and writes both files', async () => {
    const dir = await tempDir();
    const root = join(dir, 'app');
    const result = await runExample(root, join(dir, 'state'));
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(root, 'config'), 'utf8')).toBe('port: 80\n');
    expect((await stat(join(root, 'db-password'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'db-password'), 'utf8')).toMatch(/^.{32}$/s);
    expect(result.stdout).toContain(`file[${root}/config]: converged`);
  }, 60_000);

  it('reports a failure and exits non-zero (QA: exited 0 silently, with nothing written)', async () => {
    const dir = await tempDir();
    // Its folder cannot be made: what should hold it is a regular file.
    await writeFile(join(dir, 'not-a-folder'), '');
    const root = join(dir, 'not-a-folder', 'app');
    const result = await runExample(root, join(dir, 'state'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`failed: file[${root}/]: `);
  }, 60_000);
});
