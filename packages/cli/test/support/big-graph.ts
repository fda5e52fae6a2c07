import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeGraph } from './graphs.js';

export interface BigGraph {
  readonly graph: string;
  /** The folders the files go into (made by the test, not by the graph). */
  readonly folders: readonly string[];
}

/**
 * A graph of `files` file resources of `bytes` bytes each, spread over 20
 * folders under `dir`/tree (made here, empty), plus a few noops: enough
 * writes in flight at once (each one fsynced) for a stop to land in the
 * middle of them.
 */
export async function writeBigGraph(dir: string, files: number, bytes = 64): Promise<BigGraph> {
  const folders = Array.from({ length: 20 }, (_, index) => join(dir, 'tree', `d${index}`));
  await Promise.all(folders.map((folder) => mkdir(folder, { recursive: true })));
  const content = JSON.stringify('x'.repeat(bytes));
  const lines = ['graph: big', 'resources:', '  noop:', ...Array.from({ length: 5 }, (_, index) => `    - name: n${index}`), '  file:'];
  for (let index = 0; index < files; index++) {
    lines.push(`    - {name: ${folders[index % folders.length]}/f${index}, state: exists, content: ${content}}`);
  }
  return { graph: await writeGraph(dir, 'big.yaml', `${lines.join('\n')}\n`), folders };
}

/** The temp files of atomic writes (`.NAME.converge-XXXX.tmp`) in `folders` now. */
export async function tempFilesIn(folders: readonly string[]): Promise<string[]> {
  const listed = await Promise.all(folders.map(async (folder) => (await readdir(folder)).filter((name) => /\.converge-[0-9a-f]+\.tmp$/.test(name)).map((name) => join(folder, name))));
  return listed.flat();
}
