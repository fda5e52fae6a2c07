import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { BIN, REPO_ROOT } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const running: Array<() => void> = [];
afterEach(async () => {
  for (const kill of running.splice(0)) kill();
  await removeTempDirs();
});

interface ClosedReaderResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What the stream that stayed open received. */
  readonly other: string;
  /** Whether the closed stream received anything before it was closed. */
  readonly gotChunk: boolean;
}

/**
 * Runs the built `converge ARGS` with one of its output streams read by a
 * reader that goes away, as `| head -1` (after the first chunk) or `| true`
 * (at once) does: the parent closes its end of that pipe.
 */
function runWithClosedReader(
  args: readonly string[],
  closed: 'stdout' | 'stderr',
  when: 'at-once' | 'after-first-chunk',
  env: NodeJS.ProcessEnv = {},
): Promise<ClosedReaderResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const closing = closed === 'stdout' ? child.stdout : child.stderr;
  const open = closed === 'stdout' ? child.stderr : child.stdout;
  let other = '';
  let gotChunk = false;
  open.setEncoding('utf8').on('data', (chunk: string) => (other += chunk));
  if (when === 'at-once') closing.destroy();
  else
    closing.once('data', () => {
      gotChunk = true;
      closing.destroy();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`converge ${args.join(' ')} did not exit in time; ${closed === 'stdout' ? 'stderr' : 'stdout'}:\n${other}`));
    }, 25_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, other, gotChunk });
    });
  });
}

const FILES = 400;

/** A graph of FILES file resources in `<dir>/out`; returns the graph file and the folder. */
async function manyFiles(dir: string): Promise<{ graph: string; out: string }> {
  const out = join(dir, 'out');
  await mkdir(out);
  const entries = Array.from({ length: FILES }, (_, i) => `  - name: ${out}/f${i}.txt\n    state: exists\n    content: "file ${i}\\n"\n`);
  return { graph: await writeGraph(dir, 'many.yaml', `graph: many\nresources:\n  file:\n${entries.join('')}`), out };
}

async function expectAllApplied(out: string): Promise<void> {
  const names = await readdir(out);
  // A crash in the middle of an atomic write leaves its temporary file behind.
  expect(names.filter((name) => name.includes('.converge-'))).toEqual([]);
  expect(names).toHaveLength(FILES);
  for (const i of [0, FILES / 2, FILES - 1]) expect(await readFile(join(out, `f${i}.txt`), 'utf8')).toBe(`file ${i}\n`);
}

const STACK = /EPIPE|\n\s+at |Unhandled 'error'|internal error/;

describe('a reader that goes away', () => {
  it('does not stop `run` when stdout closes after the first line: everything is applied and cleaned up', async () => {
    const dir = await makeTempDir();
    const { graph, out } = await manyFiles(dir);
    // --tmp-prefix makes its state folder in TMPDIR: a folder of our own shows whether it was removed.
    const tmp = join(dir, 'tmp');
    await mkdir(tmp);

    const result = await runWithClosedReader(['run', ...ONCE, graph], 'stdout', 'after-first-chunk', { TMPDIR: tmp });

    expect(result.gotChunk).toBe(true);
    expect(result.other).not.toMatch(STACK);
    expect(result.other).toContain(`${FILES} converged · 0 failed`);
    expect(result).toMatchObject({ code: 0, signal: null });
    await expectAllApplied(out);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('does not stop `run` when stderr (logs, summary) is closed', async () => {
    const dir = await makeTempDir();
    const { graph, out } = await manyFiles(dir);

    const result = await runWithClosedReader(['run', ...ONCE, graph], 'stderr', 'at-once');

    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.other.split('\n').filter((line) => line.startsWith('changed: file['))).toHaveLength(FILES);
    await expectAllApplied(out);
  });

  it.each([{ command: 'graph --format=dot' }, { command: 'graph --format=json' }, { command: 'validate' }])(
    'ends `$command` quietly with 0 when stdout is closed',
    async ({ command }) => {
      const dir = await makeTempDir();
      const { graph } = await manyFiles(dir);
      const args = [...command.split(' '), graph];

      const result = await runWithClosedReader(args, 'stdout', 'at-once');

      expect(result.other).toBe('');
      expect(result).toMatchObject({ code: 0, signal: null });
    },
  );

  it('ends `--help` quietly with 0 when stdout is closed', async () => {
    const result = await runWithClosedReader(['--help'], 'stdout', 'at-once');
    expect(result).toMatchObject({ other: '', code: 0, signal: null });
  });

  it('still exits 2 for a graph that does not validate when stderr is closed', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'bad.yaml', 'graph: bad\nresources:\n  file:\n  - name: relative/path\n    stat: exists\n');

    const result = await runWithClosedReader(['validate', graph], 'stderr', 'at-once');

    expect(result).toMatchObject({ other: '', code: 2, signal: null });
  });
});
