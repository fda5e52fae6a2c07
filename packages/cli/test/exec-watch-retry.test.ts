import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// mgmt's Retry "is used for both Watch and CheckApply", with Delay between
// tries: a watchcmd that exits is started again, not the resource failed at once.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('exec: a watchcmd that exits, under meta retry and delay', () => {
  it('is started again after delay, retry times, each told with the tries left; then the resource fails', async () => {
    const dir = await makeTempDir();
    const ticks = join(dir, 'ticks');
    // Each start of the watchcmd prints one line (an event), so cmd appends one line per start.
    const graph = await writeGraph(
      dir,
      'rw2.yaml',
      `graph: rw2
resources:
  exec:
    - name: w2
      cmd: "date +%T.%N >> ${ticks}"
      shell: /bin/sh
      watchcmd: "echo tick; sleep 1; exit 3"
      watchshell: /bin/sh
      meta: {retry: 2, delay: 200}
`,
    );
    // A quiet time well over the second each watch lives, so that the run ends only after the last try, on a slow machine too.
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=3', '--converged-exit', graph], { timeoutMs: 25_000 });
    expect((await readFile(ticks, 'utf8')).trim().split('\n'), result.stderr).toHaveLength(3);
    const exited = 'watchcmd /bin/sh -c "echo tick; sleep 1; exit 3" exited with code 3';
    expect(result.stderr).toContain(`WARN: exec[w2]: watch failed, retrying in 200 ms (1 more after it): ${exited}`);
    expect(result.stderr).toContain(`WARN: exec[w2]: watch failed, retrying in 200 ms (0 more after it): ${exited}`);
    expect(result.stdout).toContain(`failed: exec[w2]: ${exited}`);
    expect(result.code, result.stderr).toBe(1);
  });

  it('does not let a --converged-exit run end with 0 while a watch that dies at once waits for its next try (QA)', async () => {
    const dir = await makeTempDir();
    // The watch goes live, then exits at once, each time; its restart comes long after the check.
    const graph = await writeGraph(
      dir,
      'w4.yaml',
      `graph: w4
resources:
  exec:
    - name: w4
      cmd: "sleep 0.5; echo ran >> ${join(dir, 'log')}"
      shell: /bin/sh
      watchcmd: "exit 3"
      watchshell: /bin/sh
      meta: {retry: 2, delay: 1500}
`,
    );
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=1', '--converged-exit', graph], { timeoutMs: 25_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('retrying in 1.5 s (0 more after it)');
    expect(result.stdout).toContain('failed: exec[w4]: watchcmd /bin/sh -c "exit 3" exited with code 3');
  });
});
