import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli, type CliProcess, type CliResult } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** Whether `pid` has handlers of its own for SIGINT, SIGTERM and SIGHUP (SigCgt's bits 1, 2 and 15 counted from 1). */
async function catchesStopSignals(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`);
  return [1, 2, 15].every((signal) => (caught & (1n << BigInt(signal - 1))) !== 0n);
}

/** Whether `pid` has `path` open: it is reading the named pipe. */
async function holdsOpen(pid: number, path: string): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.includes(path);
}

/** Waits until the CLI waits for its graph: its handlers are in place, and it has the named pipe open, if it reads one. */
async function waitingForGraph(cli: CliProcess, fifo?: string): Promise<void> {
  const pid = cli.child.pid ?? 0;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(20)) {
    if ((await catchesStopSignals(pid)) && (fifo === undefined || (await holdsOpen(pid, fifo)))) {
      // Long enough that the run is well past its start-up: the wait for the graph is what the signal finds.
      await sleep(300);
      return;
    }
  }
  throw new Error(`converge never waited for its graph\nstderr:\n${cli.stderr}`);
}

/** The result, or a failure naming what the process said if it is still running after `ms` (QA: only SIGKILL ended it). */
async function endsWithin(cli: CliProcess, ms = 10_000): Promise<CliResult> {
  const timedOut = sleep(ms).then(() => undefined);
  const result = await Promise.race([cli.result, timedOut]);
  if (result === undefined) throw new Error(`still running ${ms} ms after the signal\nstderr:\n${cli.stderr}`);
  return result;
}

async function makeFifo(dir: string): Promise<string> {
  const fifo = join(dir, 'graph.pipe');
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

const GRAPH = (target: string): string => `graph: g\nresources:\n  file:\n    - {name: ${target}, state: exists, content: "x\\n"}\n`;

describe('stop signals while the graph waits for its writer (QA: ignored until SIGKILL)', () => {
  it('a named pipe without a writer: the first SIGINT ends the wait, nothing applied, --converged-exit unmet (1), no --tmp-prefix folder left', async () => {
    const dir = await makeTempDir();
    const fifo = await makeFifo(dir);
    const tmp = join(dir, 'tmp');
    execFileSync('mkdir', [tmp]);
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', fifo], { env: { TMPDIR: tmp } });
    await waitingForGraph(cli, fifo);
    cli.child.kill('SIGINT');
    const result = await endsWithin(cli);
    expect(result).toMatchObject({ code: 1, signal: null });
    expect(result.stderr).toContain('converge: SIGINT: stopping before the graph was applied; nothing was applied');
    expect(result.stderr).toContain('converge: 0 pending · 0 running · 0 converged · 0 failed');
    expect(result.stderr).toContain('converge: stopped before the graph converged');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('standard input that has not ended (`sleep 60 | converge run -`): SIGTERM ends the wait as a stop does (0), not the writer closing later', async () => {
    const cli = startCli(['run', '--tmp-prefix', '-'], { stdinOpen: true });
    await waitingForGraph(cli);
    cli.child.kill('SIGTERM');
    const result = await endsWithin(cli);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.stderr).toContain('converge: SIGTERM: stopping before the graph was applied; nothing was applied');
    expect(result.stderr).not.toContain('empty');
  });

  it('three SIGINTs at once end it (the third at once), never with the default 130', async () => {
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '-'], { stdinOpen: true });
    await waitingForGraph(cli);
    for (let i = 0; i < 3; i++) cli.child.kill('SIGINT');
    const result = await endsWithin(cli);
    expect(result).toMatchObject({ code: 1, signal: null });
    expect(result.stderr).toMatch(/SIGINT: stopping before the graph was applied|SIGINT a third time: exiting now/);
  });

  it('with --log-json the stop is told as JSON lines', async () => {
    const dir = await makeTempDir();
    const fifo = await makeFifo(dir);
    const cli = startCli(['run', '--tmp-prefix', '--log-json', fifo]);
    await waitingForGraph(cli, fifo);
    cli.child.kill('SIGTERM');
    const result = await endsWithin(cli);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toContain('SIGTERM: stopping before the graph was applied; nothing was applied');
  });

  it('SIGHUP while it waits does not end it: the graph is applied once written, and read again from the same text', async () => {
    const dir = await makeTempDir();
    const fifo = await makeFifo(dir);
    const target = join(dir, 'applied');
    const cli = startCli(['run', '--tmp-prefix', fifo]);
    await waitingForGraph(cli, fifo);
    cli.child.kill('SIGHUP');
    await sleep(300);
    expect(cli.child.exitCode).toBe(null);
    await writeFile(fifo, GRAPH(target));
    await cli.waitFor(/converge: reloaded .*graph\.pipe: 1 resource/);
    await cli.waitFor(/changed: file\[/);
    expect(existsSync(target)).toBe(true);
    cli.child.kill('SIGINT');
    expect((await endsWithin(cli)).code).toBe(0);
  });
});

describe('validate and graph while the graph waits for its writer (QA: ended by the default 143, nothing said)', () => {
  for (const [command, signal] of [
    ['validate', 'SIGTERM'],
    ['validate', 'SIGHUP'],
    ['graph', 'SIGINT'],
  ] as const) {
    it(`${command} on a named pipe: ${signal} ends the wait with a message and exit 1 (not checked)`, async () => {
      const dir = await makeTempDir();
      const fifo = await makeFifo(dir);
      const cli = startCli([command, fifo]);
      await waitingForGraph(cli, fifo);
      cli.child.kill(signal);
      const result = await endsWithin(cli);
      expect(result).toMatchObject({ code: 1, signal: null, stdout: '' });
      expect(result.stderr).toBe(`converge: ${signal}: stopped while loading the graph; nothing was checked\n`);
    });
  }

  it('validate of standard input still checks the graph once its writer ends it', async () => {
    const cli = startCli(['validate', '-'], { stdinOpen: true });
    await waitingForGraph(cli);
    cli.child.stdin?.end(GRAPH('/tmp/x'));
    const result = await endsWithin(cli);
    expect(result).toMatchObject({ code: 0, stdout: 'ok: 1 resource, 0 edges\n' });
  });
});
