import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// mgmt's Retry "is used for both Watch and CheckApply", with Delay between
// tries: a watchcmd that exits is started again, not the resource failed at once.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('exec: a watchcmd that exits, under meta retry and delay', () => {
  it('is started again after delay, retry times, each told with the tries left (the same failure again at debug); then the resource fails', async () => {
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
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=3', '--converged-exit', '--log-level=debug', graph], { timeoutMs: 25_000 });
    // One run per start; the first start's line may also come while the first run (the one every
    // resource gets when its watch is live) is under way, and is then a change of its own (a full run
    // on a loaded machine saw 4), or before it, and is taken with it.
    const runs = (await readFile(ticks, 'utf8')).trim().split('\n').length;
    expect(runs, result.stderr).toBeGreaterThanOrEqual(3);
    expect(runs, result.stderr).toBeLessThanOrEqual(4);
    const exited = 'watchcmd /bin/sh -c "echo tick; sleep 1; exit 3" exited with code 3';
    expect(result.stderr).toContain(`WARN: exec[w2]: watch failed, retrying in 200 ms (1 more after it): ${exited}`);
    expect(result.stderr).toContain(`DEBUG: exec[w2]: watch failed, retrying in 200 ms (0 more after it): ${exited}`);
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
    // At debug: the second try failed as the first did.
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=1', '--converged-exit', '--log-level=debug', graph], { timeoutMs: 25_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('retrying in 1.5 s (0 more after it)');
    expect(result.stdout).toContain('failed: exec[w4]: watchcmd /bin/sh -c "exit 3" exited with code 3');
  });
});

describe('exec: a watchcmd that exits, under meta rewatch', () => {
  const rewatched = (name: string, watch: string): string => `graph: ${name}
resources:
  exec:
    - name: w
      cmd: /bin/true
      watchcmd: "${watch}"
      watchshell: /bin/sh
      meta: {rewatch: true}
`;

  it('ends a --converged-exit run with 1, naming the resource, once its watch has kept failing for the quiet time (QA: it ended with 0, counted converged)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'rw5.yaml', rewatched('rw5', 'exit 1'));
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=2', '--converged-exit', graph], { timeoutMs: 25_000 });
    expect(result.stderr).toContain('WARN: exec[w]: watch failed, restarting: watchcmd /bin/sh -c "exit 1" exited with code 1');
    expect(result.stdout).toMatch(/failed: exec\[w\]: its watch keeps failing \(\d+ failures in [\d.]+ s, never up for the 2 s quiet time\), so the graph cannot converge: watchcmd/);
    expect(result.stderr).toContain('0 converged · 1 failed');
    expect(result.code, result.stderr).toBe(1);
  });

  it('ends it the same way when the watch cannot even start, where it ran for ever (QA)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'rw6.yaml', rewatched('rw6', 'exit 1').replace('watchshell: /bin/sh', `watchshell: ${join(dir, 'no-such-shell')}`));
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=1', '--converged-exit', graph], { timeoutMs: 25_000 });
    expect(result.stdout).toMatch(/failed: exec\[w\]: its watch keeps failing .* could not be started: ENOENT/);
    expect(result.code, result.stderr).toBe(1);
  });

  it('ends it with 0 once a restarted watch stays up', async () => {
    const dir = await makeTempDir();
    const count = join(dir, 'count');
    // Fails twice, then stays up.
    const watch = `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; [ $n -ge 2 ] && exec sleep 600; exit 1`;
    const graph = await writeGraph(dir, 'rw7.yaml', rewatched('rw7', watch));
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=2', '--converged-exit', graph], { timeoutMs: 25_000 });
    expect((await readFile(count, 'utf8')).trim()).toBe('3');
    expect(result.stderr).toContain('0 pending · 0 running · 1 converged · 0 failed');
    expect(result.code, result.stderr).toBe(0);
  });

  it('in a run that goes on, is restarted for ever and never told converged while it keeps failing; a stop then leaves it failed', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'rw8.yaml', rewatched('rw8', 'exit 1'));
    // At debug: each restart after the first fails as it did, and is told there.
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=1', '--log-level=debug', graph]);
    // Past the quiet time several times over: restarts at 0.1, 0.3, 0.7, 1.5, 3.1 s...
    await cli.waitFor(/(watch failed, restarting[^\n]*\n[^]*){6}/, 20_000);
    cli.child.kill('SIGTERM');
    const result = await cli.result;
    expect(result.stdout).not.toContain('converged: every resource is as the graph says');
    expect(result.stderr).not.toContain('keeps failing');
    expect(result.stdout).toContain('failed: exec[w]: watchcmd /bin/sh -c "exit 1" exited with code 1');
    expect(result.code, result.stderr).toBe(1);
  });
});

describe('exec: a check that keeps failing under retry -1', () => {
  it('ends a one-shot run, and one under mgmt\'s --converged-timeout, with 1, naming the resource (QA: it retried until a signal)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'rf.yaml', 'graph: rf\nresources:\n  exec:\n    - name: never\n      cmd: /bin/false\n      meta: {retry: -1, delay: 200}\n');
    const [oneShot, mgmtFlag] = await Promise.all([
      runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', graph], { timeoutMs: 30_000 }),
      runCli(['run', '--tmp-prefix', '--converged-timeout=1', graph], { timeoutMs: 30_000 }),
    ]);
    for (const result of [oneShot, mgmtFlag]) {
      expect(result.stdout).toMatch(/failed: exec\[never\]: its check keeps failing \(\d+ failures in [\d.]+ s, retry: -1\), so the graph cannot converge: cmd \/bin\/false exited with code 1/);
      expect(result.stderr).toContain('0 converged · 1 failed');
      expect(result.code, result.stderr).toBe(1);
    }
  }, 40_000);
});
