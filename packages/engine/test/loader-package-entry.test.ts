import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePackageEntry } from '../src/loader/package-entry.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-entry-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A package folder holding `files` (empty), and where its entry resolves. */
async function entryOf(packageJson: Record<string, unknown>, files: readonly string[]) {
  const folder = await mkdtemp(join(root, 'pkg-'));
  for (const file of files) {
    await mkdir(dirname(join(folder, file)), { recursive: true });
    await writeFile(join(folder, file), '');
  }
  const entry = await resolvePackageEntry(folder, packageJson);
  return { declared: entry.declared, path: entry.path === undefined ? undefined : entry.path.slice(folder.length + 1) };
}

describe('resolvePackageEntry', () => {
  it('takes exports["."] given as a string', async () => {
    expect(await entryOf({ exports: { '.': './a.js' }, main: 'b.js' }, ['a.js', 'b.js'])).toEqual({
      declared: './a.js',
      path: 'a.js',
    });
  });

  it('takes the first matching condition, nested or not, in object order', async () => {
    const files = ['esm.js', 'cjs.cjs', 'fallback.js'];
    expect(await entryOf({ exports: { '.': { require: './cjs.cjs', default: './fallback.js' } } }, files)).toMatchObject({
      path: 'fallback.js',
    });
    expect(await entryOf({ exports: { node: { require: './cjs.cjs', import: './esm.js' } } }, files)).toMatchObject({
      path: 'esm.js',
    });
    expect(await entryOf({ exports: { '.': [{ types: './x.d.ts' }, './esm.js'] } }, files)).toMatchObject({
      path: 'esm.js',
    });
  });

  it('falls back to module, then main (extension optional), then index.js', async () => {
    expect(await entryOf({ module: './m.js', main: './c.js' }, ['m.js', 'c.js'])).toMatchObject({ path: 'm.js' });
    expect(await entryOf({ main: 'lib/start' }, ['lib/start.js'])).toMatchObject({ path: 'lib/start.js' });
    expect(await entryOf({ main: 'lib' }, ['lib/index.js'])).toMatchObject({ path: 'lib/index.js' });
    expect(await entryOf({ exports: { './sub': './s.js' } }, ['index.js'])).toMatchObject({ path: 'index.js' });
  });

  it('reports a declared entry that does not exist', async () => {
    expect(await entryOf({ exports: './dist/index.js' }, [])).toEqual({ declared: './dist/index.js', path: undefined });
  });
});
