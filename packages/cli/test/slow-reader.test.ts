import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killGroup } from './support/process-groups.js';
import { BIN, REPO_ROOT, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

const groups: number[] = [];
afterEach(async () => {
  for (const pgid of groups.splice(0)) killGroup(pgid);
  await removeTempDirs();
});

/** A reader that starts reading only after this long: long beside filling a 64 KiB pipe. */
const LATE = 'sleep 2; exec cat';

/** How converge's stdout and stderr are read, as bash redirections: each a real pipe to a process of its own. */
const SLOW_READERS = {
  /** `converge … > >(sleep 2; cat) 2> >(sleep 2; cat >&2)` */
  apart: `> >(${LATE}) 2> >(${LATE} >&2)`,
  /** `converge … 2>&1 | (sleep 2; cat)` */
  together: `> >(${LATE}) 2>&1`,
  /** stdout read by a process that never reads, stderr read at once. */
  neverStdout: '> >(exec sleep 60 >/dev/null) 2> >(exec cat >&2)',
} as const;

interface Piped {
  readonly child: ChildProcess;
  /** What the readers passed on so far: stdout's and stderr's (or both's, `together`). */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** converge's own exit (the readers may still be reading). */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Once the readers are done too. */
  readonly closed: Promise<void>;
}

/**
 * Starts the built `converge ARGS` with its output piped to `readers`. bash
 * execs converge in its own place, so the child's exit is converge's; the
 * readers write what they read to our pipes, read at once.
 */
function startPiped(args: readonly string[], readers: keyof typeof SLOW_READERS): Piped {
  const child = spawn('bash', ['-c', `exec "$0" "$@" ${SLOW_READERS[readers]}`, process.execPath, BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own, so that the readers go with it at the end of a test.
    detached: true,
  });
  if (child.pid !== undefined) groups.push(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    closed: new Promise((resolve) => child.on('close', () => resolve())),
  };
}

async function runPiped(args: readonly string[], readers: 'apart' | 'together' = 'apart'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const piped = startPiped(args, readers);
  const [exit] = await Promise.all([piped.exit, piped.closed]);
  return { ...exit, stdout: piped.stdout(), stderr: piped.stderr() };
}

/** A graph of `count` noops, each its own resource: a run says a line per resource. */
async function noopGraph(count: number): Promise<string> {
  const noops = Array.from({ length: count }, (_, i) => `    - name: n${i}\n      meta: {autogroup: false}\n`);
  return writeGraph(await makeTempDir(), 'big.yaml', `graph: big\nresources:\n  noop:\n${noops.join('')}`);
}

const SUMMARY = 'converge: 0 pending · 0 running · 3000 converged · 0 failed';

describe('a reader that reads late', () => {
  it.each([
    { command: 'schema', graph: false },
    { command: 'graph --format json', graph: true },
    { command: 'graph --format dot', graph: true },
  ])('gets all of `$command` (more than a pipe holds), then the exit code', async ({ command, graph }) => {
    const args = [...command.split(' '), ...(graph ? [await noopGraph(6000)] : [])];
    // Read at once, as from a file.
    const { code, stdout, stderr } = await runCli(args);
    expect(stdout.length).toBeGreaterThan(100_000);

    const result = await runPiped(args);

    expect(result).toEqual({ code, signal: null, stdout, stderr });
  });

  it('gets every problem of a graph that does not validate, then exit code 2 (`2>&1 |`)', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `    - name: n${i}\n      state: latest\n`);
    const graph = await writeGraph(await makeTempDir(), 'bad.yaml', `graph: bad\nresources:\n  noop:\n${lines.join('')}`);

    const result = await runPiped(['validate', graph], 'together');

    expect(result).toMatchObject({ code: 2, signal: null });
    expect(result.stdout.match(/unknown param 'state'/g)).toHaveLength(1500);
    expect(result.stdout).toMatch(/converge: 1500 problems in .*bad\.yaml; nothing was applied\n$/);
  });

  it('gets every line of `run` on stdout and its summary on stderr, then exit code 0', async () => {
    const result = await runPiped(['run', ...ONCE, await noopGraph(3000)]);

    expect(result).toMatchObject({ code: 0, signal: null });
    const converged = result.stdout.split('\n').filter((line) => /^converged: noop\[n\d+\]$/.test(line));
    expect(new Set(converged).size).toBe(3000);
    expect(result.stderr).toContain(SUMMARY);
  });

  it('gets every line of `run` and its summary with both in one pipe (`2>&1 |`)', async () => {
    const result = await runPiped(['run', ...ONCE, await noopGraph(3000)], 'together');

    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.stdout.split('\n').filter((line) => line.startsWith('converged: noop['))).toHaveLength(3000);
    expect(result.stdout).toContain(SUMMARY);
    // After every resource's line, as in a file (QA: amid the last ones, once the pipe had filled).
    const lines = result.stdout.split('\n');
    expect(lines.indexOf(SUMMARY)).toBeGreaterThan(lines.findLastIndex((line) => line.startsWith('converged: noop[')));
  });

  it('gets every log line of `run --log-json` (pino) on stderr', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const touches = Array.from({ length: 1000 }, (_, i) => `    - {name: t${i}, path: ${join(dir, `t${i}`)}, meta: {autogroup: false}}\n`);
    const graph = await writeGraph(dir, 'touches.yaml', `graph: touches\nresources:\n  touch:\n${touches.join('')}`);

    const result = await runPiped(['run', ...ONCE, '--log-json', '--plugin', plugin, graph]);

    expect(result).toMatchObject({ code: 0, signal: null });
    const records = result.stderr.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { msg: string });
    expect(records.filter((record) => record.msg === 'wrote file')).toHaveLength(1000);
    expect(records.at(-1)?.msg).toContain('1000 converged · 0 failed');
  });

  it('still exits at once on a third stop signal while `run` waits for a reader that does not read', async () => {
    const piped = startPiped(['run', ...ONCE, await noopGraph(3000)], 'neverStdout');
    // Time to apply the graph and clean up (a second or two): converge then only waits for stdout's
    // reader, before its summary, which must not come amid the lines stdout still holds.
    await sleep(4000);
    expect(piped.child.exitCode).toBe(null);
    expect(piped.stderr()).not.toContain(SUMMARY);

    for (let i = 0; i < 3; i++) {
      piped.child.kill('SIGINT');
      // Apart: two signals that arrive before the first is handled are one.
      await sleep(200);
    }

    expect(await piped.exit).toEqual({ code: 1, signal: null });
  });
});
