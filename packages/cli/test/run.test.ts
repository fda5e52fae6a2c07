import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineOf, ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const touchGraph = (marker: string): string => `graph: touch
resources:
  touch:
    - name: marker
      path: ${marker}
      content: applied
`;

describe('the converged line of a run that goes on', () => {
  it('is told again when what it says changes, though no check changed anything (QA: a dry run kept saying "would change" after a repair by hand)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'f');
    await writeFile(file, 'old\n');
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  file:\n  - name: ${file}\n    state: exists\n    content: "ok\\n"\n`);
    const cli = startCli(['run', '--noop', '--tmp-prefix', '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged, but not as the graph says: 1 resource would change \(dry run\)/);
    await writeFile(file, 'ok\n');
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });
});

describe('the converged line while a failed resource is checked again', () => {
  it('is not told as all clear while that check runs and fails again (QA: "every resource is as the graph says" for as long as the check ran)', async () => {
    const dir = await makeTempDir();
    const trigger = join(dir, 'trigger');
    const runs = join(dir, 'runs');
    await writeFile(trigger, '0\n');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: g\nresources:\n  exec:\n  - name: slow-failure\n    cmd: echo run >> ${runs}; sleep 1; exit 3\n    shell: /bin/sh\n    watchfiles: [${trigger}]\n`,
    );
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged, but not as the graph says: 1 failed/);
    const toldBefore = cli.stderr.length;
    await writeFile(trigger, '1\n');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await readFile(runs, 'utf8')).toBe('run\nrun\n');
    expect(cli.stderr.slice(toldBefore)).not.toContain('converge: converged: every resource is as the graph says');
    cli.child.kill('SIGINT');
    await cli.result;
  });
});

describe('converge run', () => {
  it('converges the hello graph in edge order and exits 0', async () => {
    const result = await runCli(['run', ...ONCE, 'examples/hello.yaml']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('5 converged · 0 failed');
    expect(result.stderr).not.toMatch(/ERROR|WARN/);
    const order = ['start', 'fetch', 'build', 'check', 'done'].map((name) =>
      result.stdout.indexOf(`converged: noop[${name}]`),
    );
    for (const position of order) expect(position).toBeGreaterThanOrEqual(0);
    const [start, fetch, build, check, done] = order as [number, number, number, number, number];
    expect(start).toBeLessThan(Math.min(fetch, build, check));
    expect(done).toBeGreaterThan(Math.max(fetch, build, check));
  });

  it('applies a resource from a plugin folder given with --plugin', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const marker = join(dir, 'marker');
    const graph = await writeGraph(dir, 'graph.yaml', touchGraph(marker));

    const result = await runCli(['run', ...ONCE, '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    expect(await readFile(marker, 'utf8')).toBe('applied');
    expect(result.stdout).toContain('changed: touch[marker]');
  });

  it('changes nothing with --noop', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const marker = join(dir, 'marker');
    const graph = await writeGraph(dir, 'graph.yaml', touchGraph(marker));

    const result = await runCli(['run', ...ONCE, '--noop', '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('reports every problem of a bad graph at file:line, exits 2 and applies nothing', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const marker = join(dir, 'marker');
    const text = `graph: bad
resources:
  touch:
    - name: marker
      path: ${marker}
  nosuchkind:
    - name: mystery
edges:
  - name: dangling
    from: {kind: touch, name: marker}
    to: {kind: touch, name: missing}
`;
    const graph = await writeGraph(dir, 'bad.yaml', text);

    const result = await runCli(['run', ...ONCE, '--plugin', plugin, graph]);

    expect(result.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    const located = [...result.stderr.matchAll(/bad\.yaml:(\d+):\d+: /g)].map((match) => Number(match[1]));
    // One problem for the unknown kind, one for the edge to a resource that does not exist.
    const within = (from: string, to: string): boolean =>
      located.some((line) => line >= lineOf(text, from) && line <= lineOf(text, to));
    expect(within('nosuchkind', 'mystery'), result.stderr).toBe(true);
    expect(within('- name: dangling', 'missing'), result.stderr).toBe(true);
    expect(result.stderr).toContain('nothing was applied');
  });

  it('exits 2 when the graph file does not exist', async () => {
    const dir = await makeTempDir();
    const result = await runCli(['run', ...ONCE, join(dir, 'absent.yaml')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('absent.yaml');
  });

  it('exits 1 and names the resource when a resource fails', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: failing
resources:
  fail:
    - name: boom
      reason: disk on fire
  noop:
    - name: fine
`,
    );

    const result = await runCli(['run', ...ONCE, '--plugin', plugin, graph]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/fail\[boom\].*disk on fire/);
    expect(result.stdout).toContain('failed: fail[boom]');
    expect(result.stdout).toContain('converged: noop[fine]');
  });

  it('refuses a --prefix another run is using (exit 2), and takes over one a killed run left', async () => {
    const prefix = join(await makeTempDir(), 'state');
    const first = startCli(['run', '--prefix', prefix, 'examples/hello.yaml']);
    await first.waitFor(/converged: noop\[done\]/);
    const second = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${prefix} is in use by another converge run (process ${first.child.pid})`);
    expect(second.stderr).toContain('hint: stop that run first');
    first.child.kill('SIGKILL');
    await first.result.catch(() => undefined);
    const third = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']);
    expect(third.code, third.stderr).toBe(0);
    expect(existsSync(join(prefix, 'run.lock'))).toBe(false);
  });

  it('keeps its state in the --prefix directory', async () => {
    const dir = await makeTempDir();
    const prefix = join(dir, 'state', 'nested');

    const result = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']);

    expect(result.code).toBe(0);
    expect(existsSync(prefix)).toBe(true);
  });

  it('exits 2 with a hint when the --prefix directory cannot be made, also under /proc (where mkdir -p would never return)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');

    for (const prefix of ['/proc/no-such-dir/state', join(file, 'state')]) {
      const result = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']);
      expect(result.code, prefix).toBe(2);
      expect(result.stderr).toContain('cannot use the state directory');
      expect(result.stderr).toContain('hint: choose another with --prefix DIR, or use --tmp-prefix');
    }
  });
});
