import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchLimitProblem } from '../src/watch-limits.js';
import { tempDir } from './helpers.js';

// Running out of inotify watches, for real: the built command runs in a new
// user namespace whose own inotify limit (/proc/sys/user/max_inotify_watches,
// per user namespace) is lowered to 2, so the limit of this machine's other
// processes is untouched. A file three folders deep needs more watches. The
// file is checked before the ancestors are all watched, so the run waits a
// second after converging: the failed watch must fail the run. A one-shot
// run watches nothing, so the limit does not matter to it.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO_ROOT, 'packages/cli/dist/bin.js');

/** Unprivileged user namespaces may be disabled; then the real test cannot run here (but must in CI). */
const userNamespaces = spawnSync('unshare', ['-U', '-r', 'true']).status === 0;
const canRun = userNamespaces || process.env['CI'] === 'true';

/** Runs the built command with `args` where at most `limit` inotify watches can be made. */
function underWatchLimit(limit: number, args: readonly string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  const script = `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`;
  return promisify(execFile)('unshare', ['-U', '-r', 'sh', '-c', script, process.execPath, BIN, ...args], {
    cwd: REPO_ROOT,
    timeout: 30_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** A graph of one file three folders deep (the folders exist), and the file's path. */
async function deepFileGraph(): Promise<{ target: string; graph: string }> {
  const target = join(dir, 'a', 'b', 'c', 'f');
  await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
  const graph = join(dir, 'graph.yaml');
  await writeFile(graph, `graph: g\nresources:\n  file:\n  - name: ${target}\n    state: exists\n    content: "x\\n"\n`);
  return { target, graph };
}

describe('running out of inotify watches', () => {
  it.skipIf(!canRun)('fails the file resource with an error that says how to raise the limit', async () => {
    const { target, graph } = await deepFileGraph();
    const result = await underWatchLimit(2, ['run', '--tmp-prefix', '--no-watch', '--converger-timeout=1', '--converged-exit', graph]);

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`file[${target}]: cannot watch ${target}: the system limit on inotify watches is reached`);
    expect(result.stderr).toContain('hint: raise it: sysctl fs.inotify.max_user_watches=');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it.skipIf(!canRun)('is no matter for a one-shot run (--converged-exit at timeout 0), which watches nothing', async () => {
    const { target, graph } = await deepFileGraph();
    // Not a single watch: a run that watched would fail at its first.
    const result = await underWatchLimit(0, ['run', '--tmp-prefix', '--no-watch', '--converger-timeout=0', '--converged-exit', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('x\n');
  });

  it('names the limit for EMFILE and leaves other errors alone', () => {
    const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    expect(watchLimitProblem(errno('EMFILE'))?.hint).toContain('fs.inotify.max_user_instances');
    expect(watchLimitProblem(errno('ENOSPC'))?.hint).toContain('fs.inotify.max_user_watches');
    expect(watchLimitProblem(errno('EACCES'))).toBeUndefined();
    expect(watchLimitProblem('not an error')).toBeUndefined();
  });
});
