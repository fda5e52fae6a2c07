import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineResource, type AnyResourceDefinition } from '@converge/engine-api';
import { ReversalStore } from '../src/runtime/reversal-store.js';
import { FileParams, folderKind, priorFile, putFile } from './support/reversible-kinds.js';
import { graphOf, started, swapTo, tempDir, tempStateDir, type TestResource } from './support/graph.js';

/**
 * Real files, groupable (the files of one folder are written by one
 * checkApply, whose paths are noted in `runs`) and reversible: records a
 * file's prior content, or its absence.
 */
function groupedFileKind(runs: string[][] = []): AnyResourceDefinition {
  return defineResource({
    kind: 'groupfile',
    params: FileParams,
    nameParam: 'path',
    identity: (params) => params.path,
    groupable: { groupCmp: (a, b) => dirname(a.path) === dirname(b.path) },
    reversible: { reversal: (_instance, params) => priorFile(params) },
    create(params) {
      let files = [params];
      return {
        group(members) {
          files = [params, ...members];
        },
        async checkApply(apply) {
          runs.push(files.map((file) => file.path));
          let converged = true;
          for (const file of files) if (!(await putFile(file, apply))) converged = false;
          return converged;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

/** A folder holding `a` ("original a"), `b` ("original b") and no `c`. */
async function folder(): Promise<{ a: string; b: string; c: string }> {
  const dir = await tempDir('converge-group-reverse-');
  const [a, b, c] = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')];
  await writeFile(a, 'original a\n');
  await writeFile(b, 'original b\n');
  return { a, b, c };
}

/** Each path managed with "managed" as its content. */
function managed(kind: AnyResourceDefinition, paths: readonly string[], reverse = true): TestResource[] {
  return paths.map((path) => ({ kind: kind.kind, name: path, params: { path, content: 'managed\n' }, meta: { reverse } }));
}

const nothing: TestResource[] = [{ kind: 'noop', name: 'left' }];

/** The ids of the reversals stored in `stateDir`, as the next run finds them. */
async function storedIds(stateDir: string): Promise<string[]> {
  const store = new ReversalStore(stateDir);
  store.load();
  return store.all().map((reversal) => reversal.id).sort();
}

describe('reverse in an autogroup', () => {
  it('records each member\'s reversal before the group\'s first change, and puts each back at a run without them', async () => {
    const { a, b, c } = await folder();
    const runs: string[][] = [];
    const kind = groupedFileKind(runs);
    const stateDir = await tempStateDir();
    const first = await started(graphOf([kind], managed(kind, [a, b, c])), stateDir);
    // One vertex for the three: the group is what this is about.
    expect(runs[0]).toEqual([a, b, c]);
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    await first.stop();
    expect(await storedIds(stateDir)).toEqual([`groupfile[${a}]`, `groupfile[${b}]`, `groupfile[${c}]`]);

    const told: string[] = [];
    const next = await started(graphOf([kind], nothing), stateDir, told);
    expect(told.sort()).toEqual([`reversed: groupfile[${a}]`, `reversed: groupfile[${b}]`, `reversed: groupfile[${c}]`]);
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(b, 'utf8')).toBe('original b\n');
    expect(existsSync(c)).toBe(false);
    await next.stop();
    expect(await storedIds(stateDir)).toEqual([]);
  });

  it('puts back a member that leaves at the next run while the others stay, which keep their own', async () => {
    const { a, b, c } = await folder();
    const kind = groupedFileKind();
    const stateDir = await tempStateDir();
    await (await started(graphOf([kind], managed(kind, [a, b, c])), stateDir)).stop();
    const told: string[] = [];
    const next = await started(graphOf([kind], managed(kind, [a, c])), stateDir, told);
    expect(told).toEqual([`reversed: groupfile[${b}]`]);
    expect(await readFile(b, 'utf8')).toBe('original b\n');
    expect(await readFile(a, 'utf8')).toBe('managed\n');
    await swapTo(next, graphOf([kind], nothing));
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(existsSync(c)).toBe(false);
    await next.stop();
  });

  it('at a swap, puts back a member that leaves while the others stay, then the first member, then the last', async () => {
    const { a, b, c } = await folder();
    const kind = groupedFileKind();
    const told: string[] = [];
    const engine = await started(graphOf([kind], managed(kind, [a, b, c])), await tempStateDir(), told);
    await swapTo(engine, graphOf([kind], managed(kind, [a, c])));
    expect(told.splice(0)).toEqual([`reversed: groupfile[${b}]`]);
    expect(await readFile(b, 'utf8')).toBe('original b\n');
    expect(await readFile(a, 'utf8')).toBe('managed\n');
    expect(await readFile(c, 'utf8')).toBe('managed\n');
    // The group's first member leaves: the one left keeps what it recorded before the group changed anything.
    await swapTo(engine, graphOf([kind], managed(kind, [c])));
    expect(told.splice(0)).toEqual([`reversed: groupfile[${a}]`]);
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(c, 'utf8')).toBe('managed\n');
    await swapTo(engine, graphOf([kind], nothing));
    expect(told.splice(0)).toEqual([`reversed: groupfile[${c}]`]);
    expect(existsSync(c)).toBe(false);
    await engine.stop();
  });

  it('at a swap, puts back the members before the folder that holds them, which then goes too', async () => {
    const dir = join(await tempDir('converge-group-reverse-'), 'made');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const runs: string[][] = [];
    const kind = groupedFileKind(runs);
    const folders = folderKind();
    const made = [{ kind: 'folder', name: dir, params: { path: dir }, meta: { reverse: true } }, ...managed(kind, [a, b])];
    const edges = [a, b].map((path) => ({ from: `folder[${dir}]`, to: `groupfile[${path}]` }));
    const told: string[] = [];
    const engine = await started(graphOf([kind, folders], made, edges), await tempStateDir(), told);
    expect(runs[0]).toEqual([a, b]);
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    await swapTo(engine, graphOf([kind, folders], nothing));
    expect(told).toEqual([`reversed: groupfile[${a}]`, `reversed: groupfile[${b}]`, `reversed: folder[${dir}]`]);
    expect(existsSync(dir)).toBe(false);
    await engine.stop();
  });

  it('records the reversal of a member that joins a running group at a swap', async () => {
    const { a, b } = await folder();
    const runs: string[][] = [];
    const kind = groupedFileKind(runs);
    const engine = await started(graphOf([kind], managed(kind, [a])), await tempStateDir());
    await swapTo(engine, graphOf([kind], managed(kind, [a, b])));
    expect(runs.at(-1)).toEqual([a, b]);
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    await swapTo(engine, graphOf([kind], nothing));
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(b, 'utf8')).toBe('original b\n');
    await engine.stop();
  });

  it('leaves alone what members without meta.reverse changed', async () => {
    const { a, b, c } = await folder();
    const kind = groupedFileKind();
    const stateDir = await tempStateDir();
    const engine = await started(graphOf([kind], [...managed(kind, [a]), ...managed(kind, [b, c], false)]), stateDir);
    expect(await storedIds(stateDir)).toEqual([`groupfile[${a}]`]);
    await swapTo(engine, graphOf([kind], nothing));
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    expect(await readFile(c, 'utf8')).toBe('managed\n');
    await engine.stop();
  });

  it('tries a member\'s failing reversal once at a swap, and keeps it for another try', async () => {
    const { a, b } = await folder();
    const kind = groupedFileKind();
    const stateDir = await tempStateDir();
    const told: string[] = [];
    const engine = await started(graphOf([kind], managed(kind, [a, b])), stateDir, told);
    // Putting back "original b" into a folder that is gone fails.
    await rm(dirname(a), { recursive: true });
    await swapTo(engine, graphOf([kind], nothing));
    expect(told.sort()).toEqual([`failed: groupfile[${a}]`, `failed: groupfile[${b}]`]);
    await engine.stop();
    expect(await storedIds(stateDir)).toEqual([`groupfile[${a}]`, `groupfile[${b}]`]);
  });
});
