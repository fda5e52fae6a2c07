import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { makeFile, tempDir } from './helpers.js';
import type { LiveFile } from './helpers.js';

// A recursive copy and a file resource that overrides one file of the copied
// tree (the more specific resource wins, as in Puppet and mgmt graphs). The
// copy used to rewrite the file the other resource had just written, which
// made both rewrite it forever.

let dir: string;
let remove: () => Promise<void>;
let running: TestEngine | undefined;
const open: LiveFile[] = [];
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  await running?.stop();
  running = undefined;
  for (const file of open.splice(0)) await file.close();
  await remove();
});

async function live(name: string, params: Parameters<typeof makeFile>[1]): Promise<LiveFile> {
  const file = await makeFile(name, params);
  open.push(file);
  return file;
}

/** Every entry below `root` as `rel: content` (files) or `rel/` (directories), sorted. */
async function tree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(`${rel}/`, ...(await tree(join(root, entry.name), `${rel}/`)));
    else out.push(`${rel}: ${await readFile(join(root, entry.name), 'utf8')}`);
  }
  return out;
}

async function sourceTree(): Promise<string> {
  const src = join(dir, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'from source\n');
  await writeFile(join(src, 'b.txt'), 'B');
  await writeFile(join(src, 'sub', 'c.txt'), 'C');
  await writeFile(join(src, 'sub', 'd.txt'), 'D');
  return `${src}/`;
}

describe('a recursive copy with a file resource overriding a file in it', () => {
  it('copies the rest of the tree, keeps the overrides, and then both stay in sync', async () => {
    const source = await sourceTree();
    const dst = join(dir, 'pout2');
    const copy = await live(`${dst}/`, { state: 'exists', source, recurse: true });
    const override = await live(join(dst, 'a.txt'), { state: 'exists', content: 'override\n' });
    // In a subdirectory that is copied too: the rest of that directory still is.
    const deepOverride = await live(join(dst, 'sub', 'c.txt'), { state: 'exists', content: 'mine\n' });

    // In the engine's order: the directory first (the files get autoedges from it).
    expect(await copy.checkApply(true)).toBe(false);
    expect(await override.checkApply(true)).toBe(false);
    expect(await deepOverride.checkApply(true)).toBe(false);
    const expected = ['a.txt: override\n', 'b.txt: B', 'sub/', 'sub/c.txt: mine\n', 'sub/d.txt: D'];
    expect(await tree(dst)).toEqual(expected);

    const inode = (await stat(join(dst, 'a.txt'))).ino;
    for (const file of [copy, override, deepOverride]) {
      expect(await file.checkApply(false)).toBe(true);
      expect(await file.checkApply(true)).toBe(true);
    }
    expect(await copy.res.describeChange(new AbortController().signal)).toBeUndefined();
    expect(await tree(dst)).toEqual(expected);
    expect((await stat(join(dst, 'a.txt'))).ino).toBe(inode);
  });

  it('does not replace a directory that holds a managed file by a source file of the same name', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'conf'), 'a file in the source');
    await writeFile(join(src, 'other'), 'O');
    const dst = join(dir, 'dst');
    await mkdir(join(dst, 'conf'), { recursive: true });
    const inside = await live(join(dst, 'conf', 'app.conf'), { state: 'exists', content: 'kept\n' });
    const copy = await live(`${dst}/`, { state: 'exists', source: `${src}/`, recurse: true, force: true });

    expect(await inside.checkApply(true)).toBe(false);
    expect(await copy.checkApply(true)).toBe(false);
    expect(await tree(dst)).toEqual(['conf/', 'conf/app.conf: kept\n', 'other: O']);
    expect(await copy.checkApply(false)).toBe(true);
    expect(await inside.checkApply(false)).toBe(true);
  });

  it('settles in a real engine, with real watches (the graph from the bug report)', async () => {
    const source = await sourceTree();
    const dst = join(dir, 'pout2');
    const yaml = [
      'graph: pg',
      'resources:',
      '  file:',
      `  - {name: ${dst}/, state: exists, source: ${source}, recurse: true}`,
      `  - {name: ${dst}/a.txt, state: exists, content: "override\\n"}`,
      '',
    ].join('\n');
    running = await startTestEngine({ resources: [fileResource], yaml });
    // Before the fix the two rewrote a.txt hundreds of times a second and this never settled.
    await running.waitConverged(10_000);
    expect(await tree(dst)).toEqual(['a.txt: override\n', 'b.txt: B', 'sub/', 'sub/c.txt: C', 'sub/d.txt: D']);

    const changesOf = (): number[] => (running?.engine.statuses() ?? []).map((status) => status.changes);
    const before = changesOf();
    // Long enough for a rewrite to come back through the watches (a few milliseconds) many times over.
    await sleep(300);
    expect(changesOf()).toEqual(before);
    expect(await readFile(join(dst, 'a.txt'), 'utf8')).toBe('override\n');
  }, 20_000);
});
