import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(() => removeTempDirs());

/** The modules `converge ARGS` loads, as Node resolves them (a resolve hook writes each down). */
async function modulesLoadedBy(args: readonly string[]): Promise<string[]> {
  const dir = await makeTempDir();
  const list = join(dir, 'modules.txt');
  const hooks = join(dir, 'hooks.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(list)}, resolved.url + '\\n');
  return resolved;
}
`,
  );
  const register = join(dir, 'register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  await promisify(execFile)(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { cwd: REPO_ROOT }).catch((error: { code?: number }) => {
    if (error.code !== 2) throw error;
  });
  return (await readFile(list, 'utf8')).split('\n').filter((url) => url !== '');
}

describe('what the command loads before it knows what to do', () => {
  // Loading the engine, its plugins' contract, the etcd client and the
  // logger took most of a second: --help and --version took 0.6 s, now 0.2 s.
  it.each([
    ['--help', ['--help']],
    ['--version', ['--version']],
    ['a usage error', ['run', '--log-level', 'loud', 'examples/hello.yaml']],
  ])('%s loads neither the engine, nor the etcd client, nor the logger', async (_what, args) => {
    const modules = await modulesLoadedBy(args);
    expect(modules.some((url) => url.endsWith('/cli/dist/program.js'))).toBe(true);
    const heavy = modules.filter((url) => /\/engine\/dist\/index\.js$|\/engine-api\/dist\/index\.js$|\/etcd3\/|\/pino\/|\/commands\//.test(url));
    expect(heavy).toEqual([]);
  });

  it('validate loads the engine but not the etcd client or the commands it does not run', async () => {
    const modules = await modulesLoadedBy(['validate', 'examples/hello.yaml']);
    expect(modules.some((url) => url.endsWith('/engine/dist/index.js'))).toBe(true);
    expect(modules.filter((url) => /\/etcd3\/|\/commands\/(run|deploy|status|retire)\.js$/.test(url))).toEqual([]);
  });
});
