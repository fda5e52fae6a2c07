import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// A file built from a fragments directory, and a directory copied from a
// source directory, read the files of a folder. Files the graph manages in
// that folder get automatic edges to the reader, so a one-shot run writes
// them first and the reader sees them all.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('files managed inside folders other file resources manage', () => {
  it('are written before the fragments file and the directory copy that read them, in one run', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'src'));
    const graph = await writeGraph(
      dir,
      'g.yaml',
      `graph: folder-inputs
resources:
  file:
  - {name: ${dir}/conf, state: exists, fragments: [${dir}/conf.d/]}
  - {name: ${dir}/dst/, state: exists, recurse: true, source: ${dir}/src/}
  - {name: ${dir}/conf.d/, state: exists}
  - {name: ${dir}/conf.d/10-a, state: exists, content: "a\\n"}
  - {name: ${dir}/conf.d/20-b, state: exists, content: "b\\n"}
  - {name: ${dir}/src/app.conf, state: exists, content: "c\\n"}
`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(dir, 'conf'), 'utf8')).toBe('a\nb\n');
    expect(await readFile(join(dir, 'dst', 'app.conf'), 'utf8')).toBe('c\n');
  });

  it('a file inside a folder the graph keeps absent fails with a hint that names the contradiction', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'g.yaml',
      `graph: contradiction\nresources:\n  file:\n  - {name: ${dir}/d/, state: absent, recurse: true}\n  - {name: ${dir}/d/f, state: exists, content: "x\\n"}\n`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`hint: ${dir}/d is managed with state: absent by another resource, which removes what this one needs: drop one of the two`);
  });
});
