import { defineResource, Type } from '@converge/engine-api';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCase } from '../src/index.js';
import { appendingFileResource, cleanupLog, contentFileResource } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'testkit-case-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runCase', () => {
  it('passes a diverged case: one apply writes the file, a second changes nothing', async () => {
    const path = join(dir, 'a.txt');
    const result = await runCase(contentFileResource, {
      name: path,
      params: { content: 'abc' },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe('abc'),
    });
    expect(result.calls).toEqual([
      { apply: false, result: false },
      { apply: true, result: false },
      { apply: true, result: true },
    ]);
    expect(result.sent).toEqual({ bytes: 3 });
    expect(cleanupLog).toContain(path);
  });

  it('passes a converged case and fills the name param and schema defaults', async () => {
    const path = join(dir, 'b.txt');
    const result = await runCase(contentFileResource, {
      name: path,
      params: {},
      setup: () => writeFile(path, 'hello\n'),
      expect: 'converged',
    });
    expect(result.calls).toEqual([{ apply: false, result: true }]);
  });

  it('clears the refresh after the first apply, as the engine does', async () => {
    const path = join(dir, 'r.txt');
    const result = await runCase(contentFileResource, {
      name: path,
      params: {},
      setup: () => writeFile(path, 'hello\n'),
      refresh: true,
      expect: 'diverged',
    });
    expect(result.calls.map((call) => call.result)).toEqual([false, false, true]);
  });

  it("gives the kind's validate the resource's name, as the engine does", async () => {
    const named = defineResource({
      kind: 'test:named',
      params: Type.Object({}),
      validate: (_params, name) => (name === 'bad-one' ? [{ message: `${name} is not a name this kind takes` }] : []),
      create: () => ({ checkApply: () => true }),
    });
    await expect(runCase(named, { name: 'bad-one', params: {}, expect: 'converged' })).rejects.toThrow(/bad-one is not a name this kind takes/);
    await expect(runCase(named, { name: 'good', params: {}, expect: 'converged' })).resolves.toBeDefined();
  });

  it('fails a converged case whose state differs, naming the step', async () => {
    const path = join(dir, 'c.txt');
    await expect(runCase(contentFileResource, { name: path, params: {}, expect: 'converged' })).rejects.toThrow(
      /checkApply\(apply=false\) #1 returned false, expected true/,
    );
    expect(cleanupLog).toContain(path);
  });

  it('fails a diverged case whose state already matches', async () => {
    const path = join(dir, 'd.txt');
    await writeFile(path, 'hello\n');
    await expect(runCase(contentFileResource, { name: path, params: {}, expect: 'diverged' })).rejects.toThrow(
      /checkApply\(apply=false\) #1 returned true, expected false/,
    );
  });

  it('catches a resource whose second apply still changes something', async () => {
    const path = join(dir, 'e.txt');
    await expect(
      runCase(appendingFileResource, { name: path, params: { line: 'x' }, expect: 'diverged' }),
    ).rejects.toThrow(/checkApply\(apply=true\) #3 returned false, expected true: one apply must converge/);
    expect(await readFile(path, 'utf8')).toBe('x\nx\n');
  });

  it('rejects bad params with every problem listed', async () => {
    await expect(
      runCase(contentFileResource, { name: 'relative', params: { content: 5, colour: 'red' }, expect: 'converged' }),
    ).rejects.toThrow(/invalid params:[\s\S]*colour: unknown param[\s\S]*content: Expected string/);
    await expect(runCase(contentFileResource, { name: 'relative', params: {}, expect: 'converged' })).rejects.toThrow(
      /path: must be absolute/,
    );
  });

  it('reports a failing verify and still cleans up', async () => {
    const path = join(dir, 'f.txt');
    await expect(
      runCase(contentFileResource, {
        name: path,
        params: {},
        expect: 'diverged',
        verify: () => {
          throw new Error('wrong owner');
        },
      }),
    ).rejects.toThrow(/verify threw: wrong owner/);
    expect(cleanupLog).toContain(path);
  });

  it('does not change the params object it was given', async () => {
    const params = { content: 'z' };
    await runCase(contentFileResource, { name: join(dir, 'g.txt'), params, expect: 'diverged' });
    expect(params).toEqual({ content: 'z' });
  });
});
