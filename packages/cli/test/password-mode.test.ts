import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// Setting the mode of a saved password's file back to 0600 is housekeeping
// of the resource's own state: no notify edge fires for it (QA: a chmod of
// the file restarted the database behind a refreshonly exec).

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const graphOf = (log: string): string => `graph: pn
resources:
  password:
  - {name: db, length: 16, saved: true}
  exec:
  - name: restart-db
    cmd: echo restart >> ${log}
    shell: /bin/sh
    refreshonly: true
edges:
- {name: n, from: {kind: password, name: db}, to: {kind: exec, name: restart-db}, notify: true}
`;

describe('a saved password whose file was chmod-ed', () => {
  it('gets mode 0600 back without notifying its refreshonly exec, and a dry run says nothing would change', async () => {
    const dir = await makeTempDir();
    const log = join(dir, 'log');
    const state = join(dir, 'state');
    const graph = await writeGraph(dir, 'pn.yaml', graphOf(log));
    const first = await runCli(['run', ...onceWithState(state), graph]);
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(log, 'utf8')).toBe('restart\n');
    const folder = join(state, 'resources', 'password');
    const file = join(folder, (await readdir(folder))[0]!, 'password');
    const password = await readFile(file, 'utf8');

    await chmod(file, 0o644);
    const dryRun = await runCli(['run', '--noop', ...onceWithState(state), graph]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout + dryRun.stderr).toContain('would restore mode 0600 of the saved password file (now 0644)');
    expect(dryRun.stdout + dryRun.stderr).not.toMatch(/would change/);
    expect((await stat(file)).mode & 0o777).toBe(0o644);

    const second = await runCli(['run', ...onceWithState(state), graph]);
    expect(second.code, second.stderr).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(second.stdout + second.stderr).toContain('restored mode 0600 of the saved password file');
    expect(second.stdout + second.stderr).not.toMatch(/changed: |WARN/);
    expect(await readFile(file, 'utf8')).toBe(password);
    expect(await readFile(log, 'utf8')).toBe('restart\n');
    expect(second.stdout + second.stderr).not.toContain(password.trim());
  });
});
