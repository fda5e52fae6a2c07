import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entriesBehind } from '../src/file-watch.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(removeTempDirs);

describe('entriesBehind', () => {
  it('is the file itself when no symlink is on the way', async () => {
    const dir = await realpath(await makeTempDir());
    await writeFile(join(dir, 'graph.yaml'), '');
    expect(entriesBehind(join(dir, 'graph.yaml'))).toEqual([{ dir, name: 'graph.yaml' }]);
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
      { dir: join(dir, 'etc'), name: 'link.yaml' },
      { dir, name: 'graph.yaml' },
      { dir, name: '..data' },
      { dir: join(dir, 'v1'), name: 'graph.yaml' },
    ]);
  });

  it('ends at a missing entry, where the path would exist again', async () => {
    const dir = await realpath(await makeTempDir());
    await symlink('gone/graph.yaml', join(dir, 'graph.yaml'));
    expect(entriesBehind(join(dir, 'graph.yaml'))).toEqual([
      { dir, name: 'graph.yaml' },
      { dir, name: 'gone' },
    ]);
  });

  it('stops on a symlink loop', async () => {
    const dir = await realpath(await makeTempDir());
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    expect(entriesBehind(join(dir, 'a')).length).toBeLessThanOrEqual(42);
  });
});
