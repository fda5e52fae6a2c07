import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(removeTempDirs);

describe('a host joining a cluster with a graph it cannot load', () => {
  it('tells each problem at its line and exits 2 before reaching etcd, applying nothing', async () => {
    const dir = await makeTempDir();
    const made = join(dir, 'made');
    const graph = await writeGraph(
      dir,
      'bad.yaml',
      `graph: bad
resources:
  file:
    - name: ${made}
      state: exists
    - name: ${join(dir, 'other')}
      stat: exists
`,
    );
    // Nothing listens on port 1: a host that tried to join first would wait for etcd, not exit.
    const result = await runCli(['run', '--seeds', 'http://127.0.0.1:1', '--hostname', 'h1', graph], { timeoutMs: 15_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${graph}:7:7: file[${join(dir, 'other')}]: unknown param 'stat' for kind 'file'`);
    expect(result.stderr).toContain(`converge: 1 problem in ${graph}; nothing was applied`);
    await expect(stat(made)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
