import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { kvlineGraph, writeKvlinePlugin } from './support/kvline-plugin.js';
import { until } from './support/http.js';
import { CliProcess, killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const TOLD = [
  "graph.yaml:7:7: kvline[b]: the groupCmp of kind 'kvline' failed: groupCmp blew up",
  "  hint: a bug in the plugin that provides 'kvline': tell its authors; meanwhile meta: {autogroup: false} on this resource avoids the call",
].join('\n');

describe("a plugin's groupCmp that throws", () => {
  it('is a problem of the graph at the resource being grouped, in validate, graph and run (QA: an internal error, exit 1)', async () => {
    const dir = await makeTempDir();
    const plugin = await writeKvlinePlugin(dir, 'p-th');
    const file = join(dir, 'app.env');
    const graph = await writeGraph(dir, 'graph.yaml', kvlineGraph(file, 'THROWGC'));
    for (const command of [['validate'], ['graph'], ['run', ...ONCE]]) {
      const result = await runCli([...command, '--plugin', plugin, graph]);
      expect(result.code, `${command[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(TOLD);
      expect(result.stderr).not.toContain('internal error');
    }
    expect(existsSync(file)).toBe(false);
  });

  it('on a hot reload keeps the running graph, with the same message', async () => {
    const dir = await makeTempDir();
    const plugin = await writeKvlinePlugin(dir, 'p-th');
    const file = join(dir, 'app.env');
    const graph = await writeGraph(dir, 'graph.yaml', kvlineGraph(file, 'one'));
    const cli = new CliProcess(['run', '--tmp-prefix', '--plugin', plugin, graph]);
    try {
      await until(async () => (await readFile(file, 'utf8').catch(() => '')) === 'one\n\n', 'the first graph applied');

      await writeFile(graph, kvlineGraph(file, 'THROWGC'));
      await cli.waitFor(/was not reloaded; the running graph is unchanged/);
      expect(cli.stderr).toContain(TOLD);
      expect(await readFile(file, 'utf8')).toBe('one\n\n');
      // Still running: a good edit after it is swapped in.
      await writeFile(graph, kvlineGraph(file, 'two'));
      await until(async () => (await readFile(file, 'utf8').catch(() => '')) === 'two\n\n', 'a later good edit applied');
      cli.child.kill('SIGINT');
      const result = await cli.result;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/internal error|unhandled/i);
    } finally {
      cli.kill();
    }
  });
});
