import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { kvlineGraph, writeKvlinePlugin } from './support/kvline-plugin.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe("a plugin's validateGraph", () => {
  it('that returns an issue about a resource it was not given is told as its bug, as a throw is (QA: dropped, validate said ok)', async () => {
    const dir = await makeTempDir();
    const plugin = await writeKvlinePlugin(dir, 'p-vg');
    const file = join(dir, 'app.env');
    for (const [value, failed] of [
      ['BADIDX', 'it returned an issue about resource 99, but the 2 resources it was given are 0 to 1 (the issue: "bad index")'],
      ['VGTHROW', 'validateGraph blew up'],
    ] as const) {
      const graph = await writeGraph(dir, 'graph.yaml', kvlineGraph(file, value));
      const result = await runCli(['validate', '--plugin', plugin, graph]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(
        `graph.yaml:4:7: kvline[a]: the graph check of kind 'kvline' failed: ${failed}\n  hint: a bug in the plugin that provides 'kvline': tell its authors\n`,
      );
    }
  });
});
