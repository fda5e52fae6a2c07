import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execResource } from '../src/index.js';
import { makeExec, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** A shell command that appends `word` to the file `log` in the test dir. */
const note = (word: string) => `echo ${word} >> ${join(dir, 'log')}`;
const logged = () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean) : []);

describe('guards', () => {
  it('ifcmd exiting 0 lets cmd run', async () => {
    await runCase(execResource, {
      name: 'ifcmd-true',
      params: { cmd: note('ran'), shell: '/bin/sh', ifcmd: '/bin/true' },
      expect: 'diverged',
      verify: () => expect(logged()).toEqual(['ran']),
    });
  });

  it('ifcmd exiting non-zero keeps cmd from running', async () => {
    await runCase(execResource, {
      name: 'ifcmd-false',
      params: { cmd: note('ran'), shell: '/bin/sh', ifcmd: 'exit 4', ifshell: '/bin/sh' },
      expect: 'converged',
      verify: () => expect(logged()).toEqual([]),
    });
  });

  it('ifequals: cmd does not run when ifcmd output (stdout+stderr) equals it', async () => {
    const params = { cmd: note('ran'), shell: '/bin/sh', ifcmd: 'echo same; echo warn >&2', ifshell: '/bin/sh' };
    await runCase(execResource, { name: 'equal', params: { ...params, ifequals: 'same\nwarn\n' }, expect: 'converged' });
    expect(logged()).toEqual([]);
    await runCase(execResource, { name: 'differ', params: { ...params, ifequals: 'same\n' }, expect: 'diverged' });
    expect(logged()).toEqual(['ran']);
  });

  it('ifequals_stdout compares with ifcmd stdout only', async () => {
    await runCase(execResource, {
      name: 'equal-stdout',
      params: { cmd: note('ran'), shell: '/bin/sh', ifcmd: 'echo same; echo warn >&2', ifshell: '/bin/sh', ifequals_stdout: 'same\n' },
      expect: 'converged',
      verify: () => expect(logged()).toEqual([]),
    });
  });

  it('nifcmd exiting 0 keeps cmd from running; non-zero lets it run', async () => {
    await runCase(execResource, { name: 'nif-0', params: { cmd: note('a'), shell: '/bin/sh', nifcmd: '/bin/true' }, expect: 'converged' });
    await runCase(execResource, { name: 'nif-1', params: { cmd: note('b'), shell: '/bin/sh', nifcmd: '/bin/false' }, expect: 'diverged' });
    expect(logged()).toEqual(['b']);
  });

  it('creates: cmd runs until the path exists, then never again', async () => {
    const marker = join(dir, 'marker');
    await runCase(execResource, {
      name: 'creates',
      params: { cmd: `${note('ran')} && touch ${marker}`, shell: '/bin/sh', creates: marker },
      expect: 'diverged',
    });
    await runCase(execResource, {
      name: 'creates-again',
      params: { cmd: note('again'), shell: '/bin/sh', creates: marker },
      expect: 'converged',
    });
    expect(logged()).toEqual(['ran']);
  });

  it('apply=false never runs cmd, but guards do run (they are checks)', async () => {
    const live = await makeExec(note('cmd'), { shell: '/bin/sh', ifcmd: note('guard'), ifshell: '/bin/sh' });
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    await live.res.cleanup();
    expect(logged()).toEqual(['guard', 'guard']);
  });

  it('donecmd runs after cmd succeeded, in donecwd, with env', async () => {
    await runCase(execResource, {
      name: 'done',
      params: { cmd: note('cmd'), shell: '/bin/sh', donecmd: 'echo "done $WHO" >> log', doneshell: '/bin/sh', donecwd: dir, env: { WHO: 'me' } },
      expect: 'diverged',
      verify: () => expect(logged()).toEqual(['cmd', 'done me']),
    });
  });

  it('donecmd does not run when cmd fails, and its own failure fails the resource', async () => {
    const failing = await makeExec('/bin/false', { donecmd: note('done'), doneshell: '/bin/sh' });
    await expect(failing.res.checkApply(true, failing.signal)).rejects.toThrow(/cmd \/bin\/false exited with code 1/);
    expect(logged()).toEqual([]);

    const doneFails = await makeExec('/bin/true', { donecmd: 'echo broken >&2; exit 9', doneshell: '/bin/sh' });
    const error: unknown = await doneFails.res.checkApply(true, doneFails.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(isEngineError(error) && error.message).toMatch(/^donecmd .* exited with code 9; last lines of stderr:\nbroken$/);
    await Promise.all([failing.res.cleanup(), doneFails.res.cleanup()]);
  });

  it('a guard that cannot start is an error, not a skip', async () => {
    const live = await makeExec('/bin/true', { ifcmd: '/nonexistent/guard' });
    await expect(live.res.checkApply(false, live.signal)).rejects.toThrow(/ifcmd \/nonexistent\/guard could not be started/);
  });

  it('guards use the same user, env and cwd defaults as cmd', async () => {
    writeFileSync(join(dir, 'flag'), '');
    await runCase(execResource, {
      name: 'guard-cwd',
      params: { cmd: note('ran'), shell: '/bin/sh', cwd: dir, ifcmd: 'test -e flag && test "$X" = 1', ifshell: '/bin/sh', env: { X: '1' } },
      expect: 'diverged',
      verify: () => expect(logged()).toEqual(['ran']),
    });
  });
});
