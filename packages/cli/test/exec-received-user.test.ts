import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// A user received over a send/recv edge must be the one the command runs as:
// never silently the engine's own (root).

afterEach(() => removeTempDirs());

function graph(user: string, idFile: string): string {
  return `graph: received-user
resources:
  exec:
  - {name: who, cmd: /bin/echo -n ${user}}
  - {name: runas, cmd: "/usr/bin/id > ${idFile}", shell: /bin/sh}
edges:
- {name: e1, from: {kind: exec, name: who}, to: {kind: exec, name: runas}, send: stdout, recv: user}
`;
}

describe.runIf(process.getuid?.() === 0)('an exec user received through send/recv (as root)', () => {
  it('runs the command as that user', async () => {
    const dir = await makeTempDir();
    await chmod(dir, 0o777); // nobody writes the id file here
    const idFile = join(dir, 'id');
    const result = await runCli(['run', ...ONCE, await writeGraph(dir, 'graph.yaml', graph('nobody', idFile))]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(idFile, 'utf8')).toMatch(/^uid=65534\(nobody\)/);
  });

  it('fails, running nothing, when that user is unknown', async () => {
    const dir = await makeTempDir();
    const idFile = join(dir, 'id');
    const result = await runCli(['run', ...ONCE, await writeGraph(dir, 'graph.yaml', graph('nosuchuserxyz', idFile))]);
    expect(result.code).toBe(1);
    // The received value is named by its param, never quoted (it could be a secret).
    expect(result.stdout + result.stderr).toContain('exec[runas]: cannot resolve user/group: unknown user "<param user, received>"');
    expect(result.stdout + result.stderr).not.toContain('unknown user "nosuchuserxyz"');
    await expect(readFile(idFile)).rejects.toThrow(/ENOENT/);
  });
});
