import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecParams } from '../src/index.js';
import { isRunning } from '../src/process-group.js';
import { makeExec, readPid, tempDir } from './helpers.js';

// The cwd is entered as the command's user, after the switch, as mgmt does
// (QA: spawn entered it as root, so `nobody` ran in a folder only root may
// enter, `pwd` printed it, and reading a file there was refused).

let dir: string;
let remove: () => Promise<void>;
/** Only root may enter it (0700, root's). */
let rootOnly: string;
/** Anyone may enter it and write in it: commands as nobody leave their marks here. */
let open: string;

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  await chmod(dir, 0o755);
  rootOnly = join(dir, 'root-only');
  open = join(dir, 'open');
  await mkdir(rootOnly, { mode: 0o700 });
  await writeFile(join(rootOnly, 'secret'), 'root only\n', { mode: 0o600 });
  await mkdir(open);
  await chmod(open, 0o777);
});
afterEach(() => remove());

/** The check's error, which must be there. */
async function failureOf(params: Partial<ExecParams>, cmd = '/bin/true'): Promise<Error> {
  const live = await makeExec(cmd, { user: 'nobody', ...params });
  const error: unknown = await live.res.checkApply(true, live.signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  await live.res.cleanup();
  if (!(error instanceof Error)) throw new Error('the check did not fail');
  return error;
}

const refused = (role: string, cwd: string) => new RegExp(`${role} .* could not be started: user nobody cannot enter its cwd ${cwd}: EACCES \\(Permission denied\\)`);

describe.runIf(process.getuid?.() === 0)('cwd entered as the user (as root)', () => {
  it('fails, naming the cwd, the user and EACCES, when the user may not enter cwd, and runs nothing there (shell, args, split)', async () => {
    for (const params of [
      { cmd: `pwd > ${join(open, 'ran')}`, shell: '/bin/sh' },
      { cmd: '/bin/sh', args: ['-c', `pwd > ${join(open, 'ran')}`] },
      { cmd: `/usr/bin/touch ${join(open, 'ran')}` },
    ] as Partial<ExecParams>[]) {
      const error = await failureOf({ ...params, cwd: rootOnly });
      expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
      expect(error.message).toMatch(refused('cmd', rootOnly));
      expect(existsSync(join(open, 'ran'))).toBe(false);
    }
  });

  it('a guard or donecmd whose cwd the user may not enter is an error, not a skip', async () => {
    // nifcmd exits non-zero wherever it runs: entered as root, cmd would run.
    const nif = await failureOf({ cmd: `/usr/bin/touch ${join(open, 'ran')}`, nifcmd: '/bin/false', nifcwd: rootOnly });
    expect(nif.message).toMatch(refused('nifcmd', rootOnly));
    const ifc = await failureOf({ cmd: `/usr/bin/touch ${join(open, 'ran')}`, ifcmd: '/bin/true', ifcwd: rootOnly });
    expect(ifc.message).toMatch(refused('ifcmd', rootOnly));
    expect(existsSync(join(open, 'ran'))).toBe(false);
    const done = await failureOf({ cmd: '/bin/true', donecmd: `/usr/bin/touch ${join(open, 'done')}`, donecwd: rootOnly });
    expect(done.message).toMatch(refused('donecmd', rootOnly));
    expect(existsSync(join(open, 'done'))).toBe(false);
  });

  it('fails the watch when watchcmd’s user may not enter its cwd', async () => {
    const live = await makeExec('/bin/true', { user: 'nobody', watchcmd: `/usr/bin/touch ${join(open, 'watching')}`, watchcwd: rootOnly });
    const error: unknown = await live.res.watch!(live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_WATCH');
    expect((error as Error).message).toMatch(refused('watchcmd', rootOnly));
    expect(existsSync(join(open, 'watching'))).toBe(false);
    await live.res.cleanup();
  });

  it('runs in a cwd the user may enter, as the user, with its environment as given, a bare name and a relative program', async () => {
    await writeFile(join(open, 'here.sh'), '#!/bin/sh\necho "$(pwd) $(id -un) $(env | sort | tr "\\n" " ")"\n', { mode: 0o755 });
    const live = await makeExec('./here.sh', { user: 'nobody', cwd: open, env: { A: '1' } });
    await live.res.checkApply(true, live.signal);
    // Only what env sets (and PWD, which sh sets itself, and the token of its group record): the wrapper adds nothing.
    expect(live.harness.sent().stdout).toMatch(new RegExp(`^${open} nobody A=1 CONVERGE_GROUP_TOKEN=[0-9a-f]{32} PWD=${open} \n$`));
    const bare = await makeExec('pwd', { user: 'nobody', cwd: open });
    await bare.res.checkApply(true, bare.signal);
    expect(bare.harness.sent().stdout).toBe(`${open}\n`);
  });

  it('a missing program or cwd is told as before (ENOENT, does not exist), and a command exiting 125-127 as its exit', async () => {
    const missing = await failureOf({ cwd: open }, '/no/such/program');
    expect(missing.message).toMatch(/cmd \/no\/such\/program could not be started: ENOENT/);
    expect(isEngineError(missing) && missing.missing).toBe(true);
    const noCwd = await failureOf({ cwd: join(open, 'not-yet') }, '/bin/true');
    expect(noCwd.message).toMatch(`its cwd ${join(open, 'not-yet')} does not exist`);
    expect(isEngineError(noCwd) && noCwd.missing).toBe(true);
    for (const code of [125, 126, 127]) {
      const own = await failureOf({ cwd: open, shell: '/bin/sh' }, `echo "converge-cwd: cannot change directory to '.': Permission denied" >&2; exit ${code}`);
      expect(own.message).toMatch(`exited with code ${code}`);
    }
    const equals = await failureOf({ cwd: open }, 'FOO=1 /usr/bin/id');
    expect(equals.message).toMatch(/a program whose name holds "=" \(FOO=1\) cannot be run as another user in a cwd.*run it through `shell`/);
  });

  it('a timeout still stops the whole process group of a command run through env', async () => {
    const script = `echo $$ > ${join(open, 'shell.pid')}; sleep 1000 & echo $! > ${join(open, 'sleep.pid')}; wait`;
    const live = await makeExec(script, { user: 'nobody', cwd: open, shell: '/bin/sh', timeout: 1 });
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_TIMEOUT');
    const shell = await readPid(join(open, 'shell.pid'));
    const sleeper = await readPid(join(open, 'sleep.pid'));
    expect(isRunning(shell)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });
});
