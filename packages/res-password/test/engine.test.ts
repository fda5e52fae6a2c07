import { appendFile, chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineResource, type ResourceContext, Type } from '@converge/engine-api';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordResource } from '../src/index.js';

/** A receiver: a file holding exactly `content` (what res-file does, in a few lines). */
const secretFileResource = defineResource({
  kind: 'test:secret',
  params: Type.Object({ path: Type.String(), content: Type.String({ default: '' }) }),
  nameParam: 'path',
  create(params) {
    return {
      async checkApply(apply) {
        const current = await readFile(params.path, 'utf8').catch(() => undefined);
        if (current === params.content) return true;
        if (apply) await writeFile(params.path, params.content, { mode: 0o600 });
        return false;
      },
    };
  },
});

let dir: string;
let running: TestEngine | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'res-password-engine-'));
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('password in a real engine', () => {
  it('sends the password into a file’s content, and keeps it across a restart when saved', async () => {
    const target = join(dir, 'db.secret');
    const yaml = [
      'graph: secrets',
      'resources:',
      '  password:',
      '  - name: db',
      '    length: 32',
      '    saved: true',
      '  test:secret:',
      `  - name: ${target}`,
      'edges:',
      '- name: pw',
      '  from: {kind: password, name: db}',
      `  to: {kind: "test:secret", name: "${target}"}`,
      '  send: password',
      '  recv: content',
    ].join('\n');
    const stateDir = join(dir, 'state');
    running = await startTestEngine({ yaml, resources: [passwordResource, secretFileResource], stateDir });
    await running.waitConverged();
    const first = await readFile(target, 'utf8');
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(running.status('password[db]')?.state).toBe('converged');
    await running.stop();

    running = await startTestEngine({ yaml, resources: [passwordResource, secretFileResource], stateDir });
    await running.waitConverged();
    expect(await readFile(target, 'utf8')).toBe(first);
  });
});

/** A notified resource: each refresh it gets is a line in `log` (a `refreshonly` exec that restarts a database). */
const restartResource = defineResource({
  kind: 'test:restart',
  params: Type.Object({ log: Type.String() }),
  nameParam: 'log',
  refreshable: true,
  create(params) {
    let context: ResourceContext<{ log: string }, object> | undefined;
    return {
      init(ctx) {
        context = ctx;
      },
      async checkApply(apply) {
        if (!context?.refresh()) return true;
        if (apply) await appendFile(params.log, 'restart\n');
        return false;
      },
    };
  },
});

describe('password whose saved file changed mode, with a notify edge', () => {
  it('sets the mode back without notifying, in a running engine and at the next start (QA: a chmod restarted the database)', async () => {
    const log = join(dir, 'restarts');
    const yaml = [
      'graph: pn',
      'resources:',
      '  password:',
      '  - {name: db, length: 16, saved: true}',
      '  test:restart:',
      `  - name: ${log}`,
      'edges:',
      `- {name: n, from: {kind: password, name: db}, to: {kind: "test:restart", name: "${log}"}, notify: true}`,
    ].join('\n');
    const stateDir = join(dir, 'state');
    const resources = [passwordResource, restartResource];
    running = await startTestEngine({ yaml, resources, stateDir });
    await running.waitConverged();
    // The first password is new: that is a change, and it notifies.
    expect(await readFile(log, 'utf8')).toBe('restart\n');
    const [folder] = await readdir(join(stateDir, 'resources', 'password'));
    const file = join(stateDir, 'resources', 'password', folder!, 'password');
    const password = await readFile(file, 'utf8');

    // While it runs: the watch sees the chmod, and the check puts it back.
    const checks = running.status('password[db]')!.checks;
    await chmod(file, 0o644);
    await eventually(async () => ((await stat(file)).mode & 0o777) === 0o600 && running!.status('password[db]')!.checks > checks);
    await running.waitConverged();
    expect(running.status('password[db]')?.changes).toBe(1);
    await running.stop();

    // At the next start.
    await chmod(file, 0o644);
    running = await startTestEngine({ yaml, resources, stateDir });
    await running.waitConverged();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(running.status('password[db]')?.changes).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(password);
    expect(await readFile(log, 'utf8')).toBe('restart\n');
  });
});

async function eventually(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
