import { mkdir, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entriesBehind, FileWatch, type PathEntry } from '../src/file-watch.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const watches: FileWatch[] = [];
afterEach(async () => {
  for (const watch of watches.splice(0)) watch.stop();
  await removeTempDirs();
});

/** The entries of the folders on the way to `dir`, from the root down, `dir` included. */
function foldersTo(dir: string): PathEntry[] {
  if (dir === sep) return [];
  const parent = dirname(dir);
  return [...foldersTo(parent), { dir: parent, name: dir.slice(parent.length).replace(sep, ''), folder: true }];
}

describe('entriesBehind', () => {
  it('is every folder on the way, from the root, then the file', async () => {
    const dir = await realpath(await makeTempDir());
    await writeFile(join(dir, 'graph.yaml'), '');
    expect(entriesBehind(join(dir, 'graph.yaml'))).toEqual([...foldersTo(dir), { dir, name: 'graph.yaml', folder: false }]);
    expect(entriesBehind(join(dir, 'graph.yaml'))[0]).toMatchObject({ dir: sep, folder: true });
  });

  it('names every link on the way, in the real folder holding it, then the real file', async () => {
    const dir = await realpath(await makeTempDir());
    await mkdir(join(dir, 'v1'));
    await writeFile(join(dir, 'v1', 'graph.yaml'), '');
    await symlink('v1', join(dir, '..data'));
    await symlink(join(dir, '..data', 'graph.yaml'), join(dir, 'graph.yaml'));
    await mkdir(join(dir, 'etc'));
    await symlink('../graph.yaml', join(dir, 'etc', 'link.yaml'));

    expect(entriesBehind(join(dir, 'etc', 'link.yaml'))).toEqual([
      ...foldersTo(join(dir, 'etc')),
      { dir: join(dir, 'etc'), name: 'link.yaml', folder: false },
      { dir, name: 'graph.yaml', folder: false },
      // An absolute link: its target is resolved from the root again.
      ...foldersTo(dir),
      { dir, name: '..data', folder: false },
      { dir, name: 'v1', folder: true },
      { dir: join(dir, 'v1'), name: 'graph.yaml', folder: false },
    ]);
  });

  it('ends at a missing entry, where the path would exist again', async () => {
    const dir = await realpath(await makeTempDir());
    await symlink('gone/graph.yaml', join(dir, 'graph.yaml'));
    expect(entriesBehind(join(dir, 'graph.yaml'))).toEqual([
      ...foldersTo(dir),
      { dir, name: 'graph.yaml', folder: false },
      { dir, name: 'gone', folder: false },
    ]);
  });

  it('stops on a symlink loop', async () => {
    const dir = await realpath(await makeTempDir());
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    expect(entriesBehind(join(dir, 'a')).length).toBeLessThanOrEqual(42 + foldersTo(dir).length);
  });
});

/** A FileWatch that counts its changes, refreshed as the graph reloader does after each. */
class Watched {
  changes = 0;
  readonly errors: string[] = [];
  readonly watch: FileWatch;

  constructor(path: string) {
    this.watch = new FileWatch(path, () => this.changes++, (message) => this.errors.push(message));
    watches.push(this.watch);
    this.watch.refresh();
  }

  /** Waits for a change, then refreshes (reads what the path names now). */
  async changed(what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.changes === 0) {
      if (Date.now() > deadline) throw new Error(`no change seen: ${what}`);
      await sleep(10);
    }
    await this.settled();
  }

  /** Lets the events of the last step arrive, then refreshes and forgets them. */
  async settled(): Promise<void> {
    await sleep(100);
    this.watch.refresh();
    this.changes = 0;
  }

  /** True when nothing was seen for a while. */
  async quiet(): Promise<boolean> {
    await sleep(300);
    return this.changes === 0;
  }
}

/**
 * Waits `ms`, then until the events already queued are handled: a timer can
 * come due before them when the test runs late, and the poll for them comes
 * before setImmediate.
 */
async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('FileWatch', () => {
  async function deployed(): Promise<{ dir: string; graph: string; watched: Watched }> {
    const dir = await realpath(await makeTempDir());
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'g.yaml'), 'v1');
    const graph = join(dir, 'conf', 'g.yaml');
    return { dir, graph, watched: new Watched(graph) };
  }

  it('follows the graph folder swapped for another by two renames, and leaves the old one', async () => {
    const { dir, graph, watched } = await deployed();
    await mkdir(join(dir, 'conf.new'));
    await writeFile(join(dir, 'conf.new', 'g.yaml'), 'v2');
    await rename(join(dir, 'conf'), join(dir, 'conf.old'));
    await rename(join(dir, 'conf.new'), join(dir, 'conf'));
    await watched.changed('conf swapped for conf.new');

    await writeFile(join(dir, 'conf.old', 'g.yaml'), 'stale');
    expect(await watched.quiet(), 'an edit of the moved-away copy').toBe(true);
    await writeFile(graph, 'v3');
    await watched.changed('the new conf/g.yaml edited');
    expect(watched.errors).toEqual([]);
  });

  it('follows the swap with a pause between the renames, and a rename over an empty folder', async () => {
    const { dir, graph, watched } = await deployed();
    await mkdir(join(dir, 'conf.new'));
    await writeFile(join(dir, 'conf.new', 'g.yaml'), 'v2');
    await rename(join(dir, 'conf'), join(dir, 'conf.old'));
    await watched.changed('conf moved away');
    await writeFile(join(dir, 'conf.old', 'g.yaml'), 'stale');
    expect(await watched.quiet(), 'an edit of the moved-away copy').toBe(true);

    // `mkdir conf`, then `mv -T conf.new conf`: the empty folder is renamed over.
    await mkdir(join(dir, 'conf'));
    await watched.changed('an empty conf made');
    await rename(join(dir, 'conf.new'), join(dir, 'conf'));
    await watched.changed('conf.new renamed over conf');
    await writeFile(graph, 'v3');
    await watched.changed('the new conf/g.yaml edited');
    expect(watched.errors).toEqual([]);
  });

  it('follows a folder higher up swapped for another', async () => {
    const dir = await realpath(await makeTempDir());
    for (const app of ['app', 'app.new']) {
      await mkdir(join(dir, app, 'conf'), { recursive: true });
      await writeFile(join(dir, app, 'conf', 'g.yaml'), app);
    }
    const watched = new Watched(join(dir, 'app', 'conf', 'g.yaml'));
    await rename(join(dir, 'app'), join(dir, 'app.old'));
    await rename(join(dir, 'app.new'), join(dir, 'app'));
    await watched.changed('app swapped for app.new');

    await writeFile(join(dir, 'app.old', 'conf', 'g.yaml'), 'stale');
    expect(await watched.quiet(), 'an edit of the moved-away copy').toBe(true);
    await writeFile(join(dir, 'app', 'conf', 'g.yaml'), 'v3');
    await watched.changed('the new app/conf/g.yaml edited');
  });

  it('still sees a save by rename and a folder deleted and made again, and not other files', async () => {
    const { dir, graph, watched } = await deployed();
    await writeFile(join(dir, 'conf', '.g.yaml.swp'), 'v2');
    await rename(join(dir, 'conf', '.g.yaml.swp'), graph);
    await watched.changed('saved by rename');
    await writeFile(join(dir, 'conf', 'other'), '');
    await writeFile(join(dir, 'other'), '');
    expect(await watched.quiet(), 'other files beside the graph and its folder').toBe(true);

    await rm(join(dir, 'conf'), { recursive: true });
    await watched.changed('conf deleted');
    await mkdir(join(dir, 'conf'));
    await writeFile(graph, 'v3');
    await watched.changed('conf made again');
    await writeFile(graph, 'v4');
    await watched.changed('the new conf/g.yaml edited');
    expect(watched.errors).toEqual([]);
  });
});
