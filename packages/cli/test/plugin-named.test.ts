import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { kvlineGraph, writeKvlinePlugin } from './support/kvline-plugin.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('two plugins named on purpose that provide one kind', () => {
  it('are a load error naming both, with --plugin twice and with plugins: beside --plugin, in run and schema (QA: the first silently won)', async () => {
    const dir = await makeTempDir();
    await writeKvlinePlugin(dir, 'res-kvline');
    await writeKvlinePlugin(dir, 'p-dup', { name: 'converge-res-kvline-dup' });
    const file = join(dir, 'app.env');
    const both = /plugins converge-res-kvline \(.*\/res-kvline\) and converge-res-kvline-dup \(.*\/p-dup\) both provide kind 'kvline': which one runs would depend on the order they are named in\n {2}hint: name only one of them: drop '\.\/res-kvline' or '\.\/p-dup'/;

    await writeGraph(dir, 'graph.yaml', kvlineGraph(file, 'one'));
    const flags = await runCli(['run', ...ONCE, '--plugin', './res-kvline', '--plugin', './p-dup', 'graph.yaml'], { cwd: dir });
    expect(flags.code, flags.stderr).toBe(2);
    expect(flags.stderr).toMatch(both);
    expect(flags.stderr).toContain('nothing was applied');

    const schema = await runCli(['schema', '--plugin', './res-kvline', '--plugin', './p-dup', '-o', 'schema.json'], { cwd: dir });
    expect(schema.code, schema.stderr).toBe(2);
    expect(schema.stderr).toMatch(both);
    expect(existsSync(join(dir, 'schema.json'))).toBe(false);

    // The graph's own entry is where it is told.
    await writeGraph(dir, 'graph.yaml', kvlineGraph(file, 'one', 'plugins: [./res-kvline]\n'));
    const mixed = await runCli(['run', ...ONCE, '--plugin', './p-dup', 'graph.yaml'], { cwd: dir });
    expect(mixed.code, mixed.stderr).toBe(2);
    expect(mixed.stderr).toMatch(/^graph\.yaml:2:11: plugins converge-res-kvline \(.*\) and converge-res-kvline-dup \(.*\) both provide kind 'kvline'/m);
    expect(existsSync(file)).toBe(false);

    // One folder named by both plugins: and --plugin is one plugin: it runs.
    const alone = await runCli(['run', ...ONCE, '--plugin', './res-kvline', 'graph.yaml'], { cwd: dir });
    expect(alone.code, alone.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
  });
});

describe('a plugin named on purpose that cannot be used', () => {
  it('is a load error in every command, used or not (QA: left out of the schema silently, or with a warning and exit 0)', async () => {
    const dir = await makeTempDir();
    await writeKvlinePlugin(dir, 'p-nokind', { declares: [], defines: ['kvline'] });
    await writeKvlinePlugin(dir, 'p-api2', { engineApi: '^2.0.0' });
    await writeKvlinePlugin(dir, 'p-extrakind', { declares: ['kvline', 'kvother'], defines: ['kvline'] });
    const nokind = `converge-res-kvline is not a valid converge plugin: its code defines kind 'kvline', but its package.json does not declare it (its "converge.kinds": none)`;
    const api2 = 'converge-res-kvline needs engine API ^2.0.0, but this converge provides engine API';
    const extra = "converge-res-kvline is not a valid converge plugin: its package.json declares kind 'kvother' but its plugin has no resource of that kind";

    for (const [folder, told] of [['./p-nokind', nokind], ['./p-api2', api2], ['./p-extrakind', extra]] as const) {
      const schema = await runCli(['schema', '--plugin', folder, '-o', 'schema.json'], { cwd: dir });
      expect(schema.code, schema.stderr).toBe(2);
      // Told as validate tells a plugin it cannot read, on a line of its own.
      expect(schema.stderr).toMatch(new RegExp(`^${told.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      expect(schema.stderr).toContain('converge: no schema written');
      expect(existsSync(join(dir, 'schema.json'))).toBe(false);
    }

    // A graph that does not use the kind.
    await writeGraph(dir, 'noop.yaml', 'graph: g\nresources:\n  noop:\n    - name: x\n');
    const validate = await runCli(['validate', '--plugin', './p-api2', 'noop.yaml'], { cwd: dir });
    expect(validate.code, validate.stderr).toBe(2);
    expect(validate.stdout).toBe('');
    expect(validate.stderr).toContain(api2);

    // Named in the graph: told at its entry, nothing applied.
    const file = join(dir, 'app.env');
    await writeGraph(dir, 'graph.yaml', `graph: g\nplugins: [./p-extrakind]\nresources:\n  kvline:\n    - name: a\n      path: ${file}\n`);
    const run = await runCli(['run', ...ONCE, 'graph.yaml'], { cwd: dir });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`graph.yaml:2:11: ${extra}`);
    expect(existsSync(file)).toBe(false);
  });

  it('found by convention, unused, is still left out of the schema with a warning', async () => {
    const dir = await makeTempDir();
    await writeKvlinePlugin(join(dir, 'node_modules', '@converge'), 'res-kvfuture', { name: '@converge/res-kvfuture', declares: ['kvfuture'], engineApi: '^2.0.0' });
    const schema = await runCli(['schema', '-o', 'schema.json'], { cwd: dir });
    expect(schema.code, schema.stderr).toBe(0);
    expect(schema.stderr).toContain("converge: kind 'kvfuture' left out of the schema: @converge/res-kvfuture needs engine API ^2.0.0");
    await writeGraph(dir, 'noop.yaml', 'graph: g\nresources:\n  noop:\n    - name: x\n');
    expect((await runCli(['validate', 'noop.yaml'], { cwd: dir })).code).toBe(0);
  });
});
