import { existsSync } from 'node:fs';
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

  it('a file inside a folder the graph keeps absent is refused at load, naming the contradiction, and nothing is applied', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'g.yaml',
      `graph: contradiction\nresources:\n  file:\n  - {name: ${dir}/d/, state: absent, recurse: true}\n  - {name: ${dir}/d/f, state: exists, content: "x\\n"}\n`,
    );
    await mkdir(join(dir, 'd'));
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code).toBe(2);
    // At the line of the file's state (its column moves with the temp folder's name).
    expect(result.stderr).toMatch(/g\.yaml:5:\d+: file\[/);
    expect(result.stderr).toContain(`file[${dir}/d/f]: param 'state': must exist inside ${dir}/d, which file[${dir}/d/] removes (state: absent)`);
    expect(result.stderr).toContain('hint: keep one of the two: remove this resource, or the state: absent of the other');
    // Nothing applied: the folder the graph would remove is still there.
    expect(existsSync(join(dir, 'd'))).toBe(true);
  });
});
