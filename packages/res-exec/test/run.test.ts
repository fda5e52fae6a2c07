import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { runCase } from '@converge/testkit';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execResource } from '../src/index.js';
import { makeExec, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

async function runOnce(name: string, params: Parameters<typeof makeExec>[1] = {}) {
  const live = await makeExec(name, params);
  try {
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    return live.harness.sent();
  } finally {
    await live.res.cleanup();
  }
}

/** The message of the error a first checkApply fails with. */
async function failureMessage(name: string, params: Parameters<typeof makeExec>[1]): Promise<string> {
  const live = await makeExec(name, params);
  const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
  await live.res.cleanup();
  if (!isEngineError(error)) throw new Error(`expected an EngineError, got ${String(error)}`);
  return error.message;
}

describe('exec runs its command', () => {
  it('splits cmd on whitespace when there is no shell and no args', async () => {
    const sent = await runOnce('/usr/bin/printf %s|%s a b');
    expect(sent.stdout).toBe('a|b');
  });

  it('passes args as they are, spaces and quotes included, without a shell', async () => {
    const sent = await runOnce('/usr/bin/printf', { args: ['%s|%s', 'one two', '$HOME "q"'] });
    expect(sent.stdout).toBe('one two|$HOME "q"');
  });

  it('keeps the last 16 MiB of a command that prints more, and says so', async () => {
    const live = await makeExec('head -c 41943040 /dev/zero | tr "\\0" x; printf END', { shell: '/bin/sh' });
    try {
      expect(await live.res.checkApply(true, live.signal)).toBe(false);
      const stdout = String(live.harness.sent().stdout);
      expect(stdout.length).toBe(16 * 1024 * 1024);
      expect(stdout.endsWith('xEND')).toBe(true);
      expect(live.harness.logs().some((entry) => entry.level === 'warn' && /more than res-exec keeps/.test(entry.message))).toBe(true);
    } finally {
      await live.res.cleanup();
    }
  });

  it('logs what cmd printed at debug level', async () => {
    const live = await makeExec('echo hello from cmd', { shell: '/bin/sh' });
    try {
      await live.res.checkApply(true, live.signal);
      const debug = live.harness.logs().find((entry) => entry.level === 'debug' && entry.message === 'cmd output');
      expect(debug?.fields).toEqual({ output: 'hello from cmd\n' });
    } finally {
      await live.res.cleanup();
    }
  });

  it('runs cmd through a shell with -c', async () => {
    const sent = await runOnce('echo $((6 * 7)) | tr 4 X', { shell: '/bin/sh' });
    expect(sent.stdout).toBe('X2\n');
  });

  it('defaults cmd to the resource name (nameParam), and one apply converges', async () => {
    const made = join(dir, 'made');
    const result = await runCase(execResource, {
      name: `/usr/bin/touch ${made}`,
      params: {},
      expect: 'diverged',
      verify: () => expect(existsSync(made)).toBe(true),
    });
    expect(result.calls).toEqual([
      { apply: false, result: false },
      { apply: true, result: false },
      { apply: true, result: true },
    ]);
  });

  it('runs in cwd', async () => {
    const sent = await runOnce('/bin/pwd', { cwd: dir });
    expect(sent.stdout).toBe(`${await realpath(dir)}\n`);
  });

  it('gives the command exactly env, and an empty environment when env is left out, but for the token of its group record', async () => {
    const token = /^CONVERGE_GROUP_TOKEN=[0-9a-f]{32}$/;
    expect(String((await runOnce('/usr/bin/env')).stdout).split('\n').filter(Boolean)).toEqual([expect.stringMatching(token)]);
    const sent = await runOnce('/usr/bin/env', { env: { GREETING: 'hello world', PATH: '/usr/bin:/bin', CONVERGE_GROUP_TOKEN: 'mine' } });
    const lines = String(sent.stdout).split('\n').filter(Boolean).sort();
    expect(lines).toEqual([expect.stringMatching(token), 'GREETING=hello world', 'PATH=/usr/bin:/bin']);
  });

  it('sends output (interleaved), stdout, stderr and exitcode after a run', async () => {
    const sent = await runOnce('echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2', { shell: '/bin/sh' });
    expect(sent).toEqual({ output: 'out1\nerr1\nout2\n', stdout: 'out1\nout2\n', stderr: 'err1\n', exitcode: 0 });
  });

  it('fails with ERR_RESOURCE_CHECK_APPLY naming the command, its exit code and the last 20 stderr lines', async () => {
    const live = await makeExec('for i in $(seq 1 30); do echo "line $i" >&2; done; exit 3', { shell: '/bin/sh' });
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    await live.res.cleanup();
    expect(isEngineError(error)).toBe(true);
    if (!isEngineError(error)) return;
    expect(error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(error.resource).toMatch(/^exec\[/);
    expect(error.phase).toBe('checkApply');
    expect(error.message).toContain('cmd /bin/sh -c');
    expect(error.message).toContain('exited with code 3');
    // The lines left out are marked, on a line of their own.
    expect(error.message).toContain('last lines of stderr:\n…\nline 11\n');
    expect(error.message).toContain('line 11\n');
    expect(error.message).toMatch(/line 30$/);
    expect(error.message).not.toContain('line 10\n');
    expect(live.harness.sent()).toEqual({});
  });

  it('caps the stderr lines an error shows in bytes: a 3 MB line shows only its end, marked as cut', async () => {
    const message = await failureMessage("head -c 3000000 /dev/zero | tr '\\0' e >&2; echo >&2; echo last line >&2; exit 5", { shell: '/bin/sh' });
    expect(message).toContain('exited with code 5; last lines of stderr:\n…eee');
    expect(message).toMatch(/e\nlast line$/);
    expect(message.length).toBeLessThan(2_300);
  });

  it('a watchcmd that ends shows a capped stderr tail too', async () => {
    const live = await makeExec('/bin/true', { watchcmd: "head -c 3000000 /dev/zero | tr '\\0' e >&2; exit 2", watchshell: '/bin/sh' });
    const error: unknown = await live.res.watch!(live.signal).catch((e: unknown) => e);
    await live.res.cleanup();
    expect(isEngineError(error) && error.message).toMatch(/exited with code 2; it must keep running; last lines of stderr:\n…e+$/);
    expect(isEngineError(error) && error.message.length).toBeLessThan(2_300);
  });

  it('says that cwd does not exist, rather than a bare ENOENT', async () => {
    const cwd = join(dir, 'nonexistent', 'dir');
    expect(await failureMessage('/bin/true', { cwd })).toBe(`cmd /bin/true could not be started: its cwd ${cwd} does not exist`);
  });

  it('fails with a hint when the program does not exist', async () => {
    const live = await makeExec('/nonexistent/program --flag');
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.message).toContain('could not be started: ENOENT');
    expect(isEngineError(error) && error.hint).toContain('absolute paths');
    // A program not there may come with a package a resource before installs: a dry run then says would change.
    expect(isEngineError(error) && error.missing).toBe(true);
  });
});
