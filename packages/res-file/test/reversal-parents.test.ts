import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinResources, parseGraphYaml, resolveGraph } from '@converge/engine';
import type { KindResolver } from '@converge/engine';
import type { AnyResourceDefinition } from '@converge/engine-api';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { FileInstance } from '../src/file-instance.js';
import type { FileParams } from '../src/index.js';
import { tempDir } from './helpers.js';

// QA: a directory with recurse made its missing parents (as mkdir -p), and
// its reversal removed the directory but left those parents behind, though
// none was there before. And removing a recursive copy removed the whole
// folder it had made, with a file that a resource of the next graph manages
// in it; that resource then failed for want of its folder.

let dir: string;
let remove: () => Promise<void>;
let stateDir: string;
let running: TestEngine | undefined;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  stateDir = await mkdtemp(join(tmpdir(), 'res-file-state-'));
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await rm(stateDir, { recursive: true, force: true });
  await remove();
});

const kinds = [...builtinResources, fileResource] as unknown as readonly AnyResourceDefinition[];
const resolver: KindResolver = {
  resolve: async (kind) => {
    const definition = kinds.find((candidate) => candidate.kind === kind);
    if (!definition) throw new Error(`unknown kind ${kind}`);
    return definition;
  },
  knownKinds: async () => kinds.map((definition) => definition.kind),
};

/**
 * A graph of file resources (given as YAML list items) and one file that
 * stays, outside the folders made: a test engine loads only the kinds its
 * graph uses, and a stored reversal needs its kind.
 */
function graph(...files: string[]): string {
  const list = [`{name: ${dir}/stays, state: exists, content: ""}`, ...files].map((file) => `    - ${file}\n`).join('');
  return `graph: g\nresources:\n  file:\n${list}`;
}

/** A directory made with its missing parents, reversed when it leaves the graph. */
const leafResource = (path: string): string => `{name: ${path}, state: exists, recurse: true, meta: {reverse: true}}`;

/** Runs `yaml` until converged, with no resource failed, and stops, keeping the state dir: the next run starts where this one left. */
async function runOnce(yaml: string): Promise<void> {
  const engine = await startTestEngine({ yaml, resources: [fileResource], stateDir });
  try {
    await engine.waitConverged();
    const failed = engine.engine.statuses().filter((status) => status.state === 'failed');
    expect(failed.map((status) => `${status.id}: ${status.lastError?.message}`)).toEqual([]);
  } finally {
    await engine.stop();
  }
}

describe('reversal of a directory that made its parents (recurse)', () => {
  it('names the missing parents in the record, nearest first, and no folder that was there', async () => {
    const leaf = join(dir, 'p', 'q', 'leaf');
    const params: FileParams = { path: `${leaf}/`, state: 'exists', recurse: true };
    expect(await fileResource.reversible?.reversal(new FileInstance(params), params)).toEqual({
      path: `${leaf}/`,
      state: 'absent',
      createdParents: [`${dir}/p/q/`, `${dir}/p/`],
    });
    // Without recurse nothing is made above it (a missing parent is an error), and a file never makes its folder.
    const plain: FileParams = { path: `${leaf}/`, state: 'exists' };
    expect(await fileResource.reversible?.reversal(new FileInstance(plain), plain)).toEqual({ path: `${leaf}/`, state: 'absent' });
    const file: FileParams = { path: join(dir, 'p', 'f'), state: 'exists', content: 'x' };
    expect(await fileResource.reversible?.reversal(new FileInstance(file), file)).toEqual({ path: join(dir, 'p', 'f'), state: 'absent' });
  });

  it('removes the folders it made, deepest first, when it leaves the graph in a hot reload', async () => {
    const leaf = join(dir, 'p', 'q', 'leaf');
    running = await startTestEngine({ yaml: graph(leafResource(`${leaf}/`)), resources: [fileResource], stateDir });
    await running.waitConverged();
    expect(existsSync(leaf)).toBe(true);
    await running.engine.swap(await resolveGraph(parseGraphYaml(graph(), 'g.yaml'), resolver));
    expect(existsSync(join(dir, 'p'))).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  it('removes them in the next run, after a restart between the apply and the reversal', async () => {
    const leaf = join(dir, 'p', 'q', 'leaf');
    await runOnce(graph(leafResource(`${leaf}/`)));
    expect(existsSync(leaf)).toBe(true);
    await runOnce(graph());
    expect(existsSync(join(dir, 'p'))).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  it('keeps a folder it made that something else has put a file in since, and every folder above it', async () => {
    const leaf = join(dir, 'p', 'q', 'leaf');
    await runOnce(graph(leafResource(`${leaf}/`)));
    await writeFile(join(dir, 'p', 'q', 'other'), 'not converge’s');
    await runOnce(graph());
    expect(existsSync(leaf)).toBe(false);
    expect(existsSync(join(dir, 'p', 'q', 'other'))).toBe(true);
  });

  it('keeps a parent that was there before, removing only those below it', async () => {
    await mkdir(join(dir, 'p'));
    const leaf = join(dir, 'p', 'q', 'leaf');
    await runOnce(graph(leafResource(`${leaf}/`)));
    await runOnce(graph());
    expect(existsSync(join(dir, 'p', 'q'))).toBe(false);
    expect(existsSync(join(dir, 'p'))).toBe(true);
  });

  it('keeps a folder it made that a resource of the next graph manages, or keeps a file in, though that one has not started yet', async () => {
    const leaf = join(dir, 'p', 'q', 'leaf');
    await runOnce(graph(leafResource(`${leaf}/`)));
    // Empty when the reversal runs: the new resource starts after it, and would find its folder gone.
    await runOnce(graph(`{name: ${dir}/p/, state: exists}`));
    expect(existsSync(join(dir, 'p', 'q'))).toBe(false);
    expect(existsSync(join(dir, 'p'))).toBe(true);

    const other = join(dir, 'a', 'b', 'leaf');
    await runOnce(graph(leafResource(`${other}/`)));
    await runOnce(graph(`{name: ${dir}/a/b/f, state: exists, content: "x"}`));
    expect(existsSync(join(dir, 'a', 'b', 'leaf'))).toBe(false);
    expect(existsSync(join(dir, 'a', 'b', 'f'))).toBe(true);
  });
});

/** The recursive copy of src/ into site/, reversed when it leaves the graph. */
const copy = (): string => `{name: ${dir}/site/, state: exists, recurse: true, source: ${dir}/src/, meta: {reverse: true}}`;
const local = (path = 'site/local.conf'): string => `{name: ${dir}/${path}, state: exists, content: "local\\n"}`;

describe('reversal of a folder filled by a recursive copy', () => {
  beforeEach(async () => {
    await mkdir(join(dir, 'src', 'sub'), { recursive: true });
    await writeFile(join(dir, 'src', 'one'), 'one\n');
    await writeFile(join(dir, 'src', 'sub', 'two'), 'two\n');
  });

  it('keeps, in the next run, a file that a resource of that graph manages in it, removing the rest of the copy', async () => {
    await runOnce(graph(copy(), local()));
    expect((await readdir(join(dir, 'site'))).sort()).toEqual(['local.conf', 'one', 'sub']);
    await runOnce(graph(local()));
    expect(await readdir(join(dir, 'site'))).toEqual(['local.conf']);
    expect(await readFile(join(dir, 'site', 'local.conf'), 'utf8')).toBe('local\n');
  });

  it('keeps it in a hot reload too, and the resource that manages it converges', async () => {
    running = await startTestEngine({ yaml: graph(copy(), local()), resources: [fileResource], stateDir });
    await running.waitConverged();
    await running.engine.swap(await resolveGraph(parseGraphYaml(graph(local()), 'g.yaml'), resolver));
    await running.waitConverged();
    expect(running.engine.statuses().filter((status) => status.state === 'failed')).toEqual([]);
    expect(await readdir(join(dir, 'site'))).toEqual(['local.conf']);
  });

  it('keeps the folders on the way to what the next graph manages deeper in, though it is not there yet', async () => {
    await runOnce(graph(copy()));
    // The resource of the next graph has not run when the reversal does: its file is not there yet, its folder must be.
    await runOnce(graph(local('site/sub/new.conf')));
    expect(await readdir(join(dir, 'site'))).toEqual(['sub']);
    expect(await readdir(join(dir, 'site', 'sub'))).toEqual(['new.conf']);
  });

  it('keeps a folder the next graph manages without what the copy put in it, and one it copies into with it', async () => {
    await runOnce(graph(copy()));
    await runOnce(graph(`{name: ${dir}/site/sub/, state: exists}`));
    expect(await readdir(join(dir, 'site'))).toEqual(['sub']);
    expect(await readdir(join(dir, 'site', 'sub'))).toEqual([]);

    await rm(join(dir, 'site'), { recursive: true });
    await runOnce(graph(copy()));
    await runOnce(graph(`{name: ${dir}/site/sub/, state: exists, recurse: true, source: ${dir}/src/sub/}`));
    expect(await readdir(join(dir, 'site'))).toEqual(['sub']);
    expect(await readdir(join(dir, 'site', 'sub'))).toEqual(['two']);
  });

  it('still removes the whole copy when the next graph manages nothing in it, and leaves a folder that was there before', async () => {
    await runOnce(graph(copy(), local()));
    await runOnce(graph(`{name: ${dir}/elsewhere, state: exists, content: ""}`));
    expect(existsSync(join(dir, 'site'))).toBe(false);

    await mkdir(join(dir, 'site'));
    await writeFile(join(dir, 'site', 'mine'), 'mine\n');
    await runOnce(graph(copy()));
    await runOnce(graph());
    expect((await readdir(join(dir, 'site'))).sort()).toEqual(['mine', 'one', 'sub']);
  });
});
