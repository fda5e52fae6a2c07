import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineResource, Type } from '@converge/engine-api';
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
