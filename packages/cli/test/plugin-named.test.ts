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
