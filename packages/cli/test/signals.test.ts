import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('signals while the graph loads (QA: Node killed it with 129, 130 or 143, saying nothing)', () => {
  /** A run whose graph load waits at the test plugin's import until the test lets it go. */
  async function runHeldAtLoad(dir: string): Promise<{ cli: ReturnType<typeof startCli>; release: () => Promise<void>; target: string }> {
    const plugin = await writeTestPlugin(dir);
    const target = join(dir, 'applied');
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  touch:\n    - {name: t, path: ${target}}\n`);
    const gate = join(dir, 'gate');
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--plugin', plugin, graph], {
      env: { ...process.env, CONVERGE_TEST_IMPORT_GATE: gate },
    });
    while (!existsSync(`${gate}.reached`)) await sleep(10);
    return { cli, target, release: () => writeFile(gate, '') };
  }

  it('a stop signal ends the run in order, with nothing applied', async () => {
    const dir = await makeTempDir();
    const { cli, release, target } = await runHeldAtLoad(dir);
    cli.child.kill('SIGTERM');
    await sleep(100);
    await release();
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM: stopping before the graph was applied; nothing was applied');
    expect(result.stderr).toContain('converge: 0 pending · 0 running · 0 converged · 0 failed');
    expect(existsSync(target)).toBe(false);
  });

  it('SIGHUP reloads once the graph is up, instead of ending the run', async () => {
    const dir = await makeTempDir();
    const { cli, release, target } = await runHeldAtLoad(dir);
    cli.child.kill('SIGHUP');
    await sleep(100);
    await release();
    await cli.waitFor(/converge: reloaded .*graph\.yaml: 1 resource/);
    expect(existsSync(target)).toBe(true);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });
});

describe('stop signals', () => {
  it('stops in order and exits 0 on SIGINT', async () => {
    // No --converged-exit: it keeps converging until told to stop.
    const cli = startCli(['run', '--tmp-prefix', 'examples/hello.yaml']);
    await cli.waitFor(/converged: noop\[done\]/);
    // Still running, not exited on its own.
    expect(cli.child.exitCode).toBe(null);

    cli.child.kill('SIGINT');
    const result = await cli.result;

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGINT: stopping');
  });

  it('exits 1 when a --converged-exit run is stopped before the graph converged, counting what ended while stopping', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      [
        'graph: g',
        'resources:',
        '  exec:',
        `    - {name: first, cmd: "touch ${dir}/first-started; sleep 2", shell: /bin/sh}`,
        `    - {name: second, cmd: "touch ${dir}/second"}`,
        'edges:',
        '  - {name: e, from: {kind: exec, name: first}, to: {kind: exec, name: second}}',
        '',
      ].join('\n'),
    );
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', graph]);
    while (!existsSync(join(dir, 'first-started'))) await sleep(10);
    cli.child.kill('SIGINT');
    const result = await cli.result;

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stopped before the graph converged');
    // The first command finished while stopping (counted converged, not running); the second never started.
    expect(result.stderr).toMatch(/converge: 1 pending · 0 running · 1 converged · 0 failed\n/);
    expect(existsSync(join(dir, 'second'))).toBe(false);
  });

  it('tells a converged resource without a watch as converged, not stopped, when a stop signal ends the run', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    // `touch` has no watch: stopping marks it `stopped` within microtasks, before the run goes on to its summary.
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  touch:\n    - {name: marker, path: ${join(dir, 'marker')}}\n`);
    for (let round = 0; round < 3; round++) {
      const cli = startCli(['run', '--tmp-prefix', '--plugin', plugin, graph]);
      await cli.waitFor(/converged: touch\[marker\]|changed: touch\[marker\]/);
      cli.child.kill('SIGTERM');
      const result = await cli.result;
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/converge: 0 pending · 0 running · 1 converged · 0 failed\n/);
    }
  });

  it('exits 0 when a --converged-exit run is stopped but what was running finishes and leaves every resource converged', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  exec:\n    - {name: only, cmd: "touch ${dir}/started; sleep 1; touch ${dir}/done", shell: /bin/sh}\n`);
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', graph]);
    while (!existsSync(join(dir, 'started'))) await sleep(10);
    cli.child.kill('SIGINT');
    const result = await cli.result;

    expect(existsSync(join(dir, 'done'))).toBe(true);
    expect(result.stderr).toMatch(/0 pending · 0 running · 1 converged · 0 failed\n/);
    expect(result.stderr).toContain('every resource had converged by then');
    expect(result.code).toBe(0);
  });

  it('a second signal while the run tidies up after its stop neither kills it nor leaves the --tmp-prefix folder', async () => {
    // A second signal as soon as the first is told: it often lands after the engine stopped, while the folder is being removed.
    for (let round = 0; round < 5; round++) {
      const cli = startCli(['run', '--tmp-prefix', '--log-level', 'debug', 'examples/hello.yaml']);
      await cli.waitFor(/converged: noop\[done\]/);
      const stateDir = /"stateDir":"([^"]+)"/.exec(cli.stderr)?.[1] ?? '';
      expect(existsSync(stateDir)).toBe(true);
      cli.child.kill('SIGINT');
      // Not at once: two signals that arrive before the first is handled are one.
      await cli.waitFor(/SIGINT: stopping/);
      cli.child.kill('SIGINT');
      const result = await cli.result;
      expect(result.signal).toBe(null);
      expect(result.code).toBe(0);
      expect(existsSync(stateDir)).toBe(false);
    }
  });

  it('removes the --tmp-prefix state directory when the third signal lands while the run tidies up', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  exec:\n    - {name: slow, cmd: "touch ${dir}/started; exec sleep 3", shell: /bin/sh}\n`);
    for (let round = 0; round < 3; round++) {
      const cli = startCli(['run', '--tmp-prefix', '--log-level', 'debug', graph]);
      await cli.waitFor(/"stateDir":"[^"]+"/);
      const stateDir = /"stateDir":"([^"]+)"/.exec(cli.stderr)?.[1] ?? '';
      while (!existsSync(join(dir, 'started'))) await sleep(10);
      await rm(join(dir, 'started'));
      cli.child.kill('SIGINT');
      await cli.waitFor(/SIGINT: stopping/);
      cli.child.kill('SIGINT');
      // The second aborts the command; the run then ends and tidies up, where the third often lands.
      await cli.waitFor(/SIGINT again: aborting/);
      await sleep(round * 5);
      cli.child.kill('SIGINT');
      const result = await cli.result;
      expect(result.signal).toBe(null);
      expect([0, 1]).toContain(result.code);
      expect(existsSync(stateDir)).toBe(false);
    }
  });

  it('removes the --tmp-prefix state directory even when a third signal makes it exit at once', async () => {
    const dir = await makeTempDir();
    // A command that ignores SIGTERM keeps the stop going until the third signal.
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: g\nresources:\n  exec:\n    - {name: stubborn, cmd: "touch ${dir}/started; trap '' TERM; sleep 30", shell: /bin/sh}\n`,
    );
    const cli = startCli(['run', '--tmp-prefix', '--log-level', 'debug', graph]);
    await cli.waitFor(/"stateDir":"[^"]+"/);
    const stateDir = /"stateDir":"([^"]+)"/.exec(cli.stderr)?.[1] ?? '';
    expect(existsSync(stateDir)).toBe(true);
    while (!existsSync(join(dir, 'started'))) await sleep(10);
    cli.child.kill('SIGTERM');
    await cli.waitFor(/still running/);
    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM again: aborting/);
    cli.child.kill('SIGTERM');
    const result = await cli.result;

    expect(result.code).toBe(1);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('names a checkApply that is still running, and a second SIGTERM aborts it', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  hang:\n    - name: forever\n');
    const cli = startCli(['run', '--tmp-prefix', '--log-level', 'debug', '--plugin', plugin, graph]);
    await cli.waitFor(/hanging/);

    cli.child.kill('SIGTERM');
    await cli.waitFor(/still running: .*hang\[forever\]/);
    expect(cli.child.exitCode).toBe(null); // an orderly stop lets it run on
    cli.child.kill('SIGTERM');
    const result = await cli.result;

    expect(result.signal).toBe(null);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGTERM again: aborting');
    // The summary counts the aborted check as the failure it became, as the lines after it do.
    expect(result.stderr).toMatch(/0 pending · 0 running · 0 converged · 1 failed\n[^]*1 resource failed:/);
  });

  it("mgmt's --max-runtime N is a first stop signal: it names what still runs, and one SIGTERM after it aborts", async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  hang:\n    - name: forever\n');
    const cli = startCli(['run', '--tmp-prefix', '--max-runtime', '1', '--plugin', plugin, graph]);
    await cli.waitFor(/--max-runtime 1: ran its time; stopping as SIGTERM would/);
    await cli.waitFor(/still running: .*hang\[forever\]/);
    expect(cli.child.exitCode).toBe(null); // an orderly stop lets it run on
    cli.child.kill('SIGTERM');
    const result = await cli.result;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGTERM again: aborting');
  });

  it('with --log-json, a "still running" line carries its resource, as every line about a resource does', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  hang:\n    - name: forever\n');
    const cli = startCli(['run', '--tmp-prefix', '--log-json', '--log-level', 'debug', '--plugin', plugin, graph]);
    await cli.waitFor(/hanging/);
    cli.child.kill('SIGTERM');
    await cli.waitFor(/still running: /);
    cli.child.kill('SIGTERM');
    const result = await cli.result;

    const lines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; resource?: string });
    const stillRunning = lines.filter((line) => line.msg.startsWith('still running: '));
    expect(stillRunning.length).toBeGreaterThan(0);
    for (const line of stillRunning) expect(line.resource).toBe('hang[forever]');
  });
});
