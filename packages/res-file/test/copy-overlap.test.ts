import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refusal, tempDir } from './helpers.js';

// Validation refuses a copy whose source and path overlap as written. A
// symlink hides the overlap from it: these are caught at run time, on the
// real paths, before anything is copied or purged.

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('a directory copy whose source and path overlap through a symlink', () => {
  it('refuses a source that is a link into the path, and purges nothing (the source survives)', async () => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'sub'), { recursive: true });
    await writeFile(join(out, 'sub', 'precious'), 'data');
    await writeFile(join(out, 'other'), 'kept');
    await symlink('out/sub', join(dir, 'srclink'));
    for (const apply of [false, true]) {
      expect(await refusal(`${out}/`, { state: 'exists', recurse: true, purge: true, source: `${dir}/srclink/` }, apply)).toMatchObject({
        message: `the source is inside the path (source ${dir}/srclink is really ${out}/sub, path ${out} is really ${out}): the copy would overwrite (with purge, delete) its own source`,
        hint: expect.stringMatching(/^keep them apart once symlinks are followed/),
      });
    }
    expect(await readFile(join(out, 'sub', 'precious'), 'utf8')).toBe('data');
    expect((await readdir(out)).sort()).toEqual(['other', 'sub']);
  });

  it('refuses a path that reaches into its source through a linked parent, before making it', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'F');
    await symlink('src', join(dir, 'srcalias'));
    // force: the parent symlink is followed; the copy would land in src/copy, inside the source.
    const error = await refusal(`${dir}/srcalias/copy/`, { state: 'exists', recurse: true, force: true, source: `${src}/` }, true);
    expect(error).toMatchObject({ message: `the path is inside its source (source ${src} is really ${src}, path ${dir}/srcalias/copy is really ${src}/copy): the copy would copy itself, level after level` });
    expect(await readdir(src)).toEqual(['f']);
  });
});
