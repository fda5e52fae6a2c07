import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecParams } from '../src/index.js';
import { eventually, makeExec, tempDir } from './helpers.js';
import type { LiveExec } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
let live: LiveExec | undefined;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  await chmod(dir, 0o777); // commands running as nobody write here
});
afterEach(async () => {
  await live?.res.cleanup();
  live = undefined;
  await remove();
});

/** What the engine does for a send/recv edge: writes the value into the params, then marks it received. */
function receive(exec: LiveExec, values: Partial<ExecParams>): void {
  Object.assign(exec.params, values);
  exec.harness.setReceived(Object.fromEntries(Object.keys(values).map((key) => [key, { changed: true }])));
}

describe.runIf(process.getuid?.() === 0)('user and group received through send/recv (as root)', () => {
  it('runs cmd, the guards and donecmd as a received user', async () => {
    const ids = join(dir, 'ids');
    await writeFile(ids, '');
    await chmod(ids, 0o666);
    live = await makeExec(`id -un >> ${ids}`, {
      env: { PATH: '/usr/bin:/bin' },
      shell: '/bin/sh',
      cwd: '/',
      ifcmd: `id -un >> ${ids}`,
      ifshell: '/bin/sh',
      donecmd: `id -un >> ${ids}`,
      doneshell: '/bin/sh',
    });
    receive(live, { user: 'nobody' });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await readFile(ids, 'utf8')).toBe('nobody\nnobody\nnobody\n');
  });

  it('runs with a received group', async () => {
    live = await makeExec('/usr/bin/id -g', { cwd: '/' });
    receive(live, { group: 'nogroup' });
    await live.res.checkApply(true, live.signal);
    expect(live.harness.sent().stdout).toBe('65534\n');
  });

  it('fails, and runs nothing, when the received user is unknown', async () => {
    const ran = join(dir, 'ran');
    live = await makeExec(`touch ${ran}`, { shell: '/bin/sh' });
    receive(live, { user: 'nosuchuserxyz' });
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(isEngineError(error) && error.message).toBe('cannot resolve user/group: unknown user "nosuchuserxyz"');
    await expect(readFile(ran)).rejects.toThrow(/ENOENT/);
  });

  it('fails, and runs nothing, when the received user is empty (never as root) or could pass for an option', async () => {
    const ran = join(dir, 'ran');
    for (const [param, value] of [['user', ''], ['group', ''], ['user', '-sfiles'], ['group', '-sfiles']] as const) {
      live = await makeExec(`touch ${ran}`, { shell: '/bin/sh', user: 'nobody' }, { receives: [param] });
      receive(live, { [param]: value });
      const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
      expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
      expect(isEngineError(error) && error.message).toMatch(value === '' ? `received an empty ${param}` : `"-sfiles" is not a ${param} name or id`);
      await expect(readFile(ran)).rejects.toThrow(/ENOENT/);
      await live.res.cleanup();
    }
  });

  it('restarts watchcmd as the received user', async () => {
    live = await makeExec('/bin/true', { cwd: '/', watchcmd: `/usr/bin/touch ${dir}/watching-as-$(/usr/bin/id -un); exec /bin/sleep 1000`, watchshell: '/bin/sh' });
    const running = live;
    const watching = running.res.watch!(running.signal);
    await eventually(() => existsSync(join(dir, 'watching-as-root')));
    receive(running, { user: 'nobody' });
    await running.res.checkApply(true, running.signal);
    await eventually(() => existsSync(join(dir, 'watching-as-nobody')));
    running.abort();
    await watching;
  });

  it('starts a watchcmd whose user an edge fills only at the first checkApply, never as root', async () => {
    live = await makeExec(
      '/bin/true',
      { cwd: '/', watchcmd: `/usr/bin/touch ${dir}/watching-as-$(/usr/bin/id -un); exec /bin/sleep 1000`, watchshell: '/bin/sh' },
      { receives: ['user'] },
    );
    const running = live;
    const watching = running.res.watch!(running.signal);
    await eventually(() => running.harness.events() > 0);
    receive(running, { user: 'nobody' });
    await running.res.checkApply(true, running.signal);
    await eventually(() => existsSync(join(dir, 'watching-as-nobody')));
    expect(existsSync(join(dir, 'watching-as-root'))).toBe(false);
    running.abort();
    await watching;
  });
});
