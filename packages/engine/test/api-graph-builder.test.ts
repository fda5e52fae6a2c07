import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineError, type EngineError } from '@converge/engine-api';
import { fileResource } from '@converge/res-file';
import { graph } from '../src/api/graph-builder.js';
import { noopResource } from '../src/builtin/noop.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { cleanUp, tempDir, testEngine, tokenResource } from './api-support.js';

const THIS_FILE = fileURLToPath(import.meta.url);

afterEach(cleanUp);

/** The codes of the problems a rejected build reported. */
async function problemCodes(build: Promise<unknown>): Promise<string[]> {
  const error = await build.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GraphLoadError)) throw new Error(`expected a GraphLoadError, got ${String(error)}`);
  return error.problems.map((problem) => problem.code);
}

/** The first problem of a graph that build() must refuse for a cycle. */
async function firstCycleProblem(g: ReturnType<typeof graph>): Promise<EngineError | undefined> {
  const error = await g.build().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GraphLoadError);
  const [problem] = (error as GraphLoadError).problems;
  expect(problem?.code).toBe('ERR_CYCLE');
  return problem;
}

describe('graph builder', () => {
  it('builds a typed graph and runs it to convergence with real files', async () => {
    const dir = await tempDir();
    const g = graph('site');
    const root = g.resource(fileResource, `${dir}/www/`, { state: 'exists', mode: '0750' });
    const page = g.resource(fileResource, `${dir}/www/index.html`, { state: 'exists', content: 'hi\n', mode: '0640' }, { meta: { retry: 2 } });
    const done = g.resource(noopResource, 'done');
    g.edge(page, done, { notify: true });

    const built = await g.build();
    expect(built.resources.get(page.id)?.meta.retry).toBe(2);
    expect(built.resources.get(root.id)?.params.path).toBe(`${dir}/www/`);
    expect(built.edges).toEqual([expect.objectContaining({ from: page.id, to: done.id, notify: true, origin: 'explicit' })]);

    const engine = await testEngine();
    const converged = engine.whenConverged(AbortSignal.timeout(10_000));
    await engine.start(built);
    await converged;

    expect(await readFile(`${dir}/www/index.html`, 'utf8')).toBe('hi\n');
    expect((await stat(`${dir}/www/index.html`)).mode & 0o777).toBe(0o640);
    expect((await stat(`${dir}/www`)).mode & 0o777).toBe(0o750);
    // res-file's autoedge: the directory goes before the file in it.
    expect(engine.edges()).toContainEqual(expect.objectContaining({ from: root.id, to: page.id, origin: 'auto' }));
    expect(engine.failures()).toEqual([]);
  });

  it('fills a param from send/recv at run time', async () => {
    const dir = await tempDir();
    const g = graph('secret');
    const token = g.resource(tokenResource, 'db', { token: 's3cret' });
    const file = g.resource(fileResource, `${dir}/token`, { state: 'exists' });
    g.send(token, 'token', file, 'content');

    const engine = await testEngine();
    const converged = engine.whenConverged(AbortSignal.timeout(10_000));
    await engine.start(await g.build());
    await converged;

    expect(await readFile(`${dir}/token`, 'utf8')).toBe('s3cret');
  });

  it('rejects at compile time and at build time what the kinds do not allow', async () => {
    const misspelled = graph('g');
    // @ts-expect-error: `contnt` is not a param of file
    misspelled.resource(fileResource, '/tmp/x', { contnt: 'hi' });
    expect(await problemCodes(misspelled.build())).toEqual(['ERR_UNKNOWN_PARAM']);

    const wrongType = graph('g');
    // @ts-expect-error: content is a string
    wrongType.resource(fileResource, '/tmp/x', { content: 42 });
    expect(await problemCodes(wrongType.build())).toEqual(['ERR_PARAM_TYPE']);

    const badMeta = graph('g');
    // @ts-expect-error: retry is a number
    badMeta.resource(noopResource, 'a', {}, { meta: { retry: 'twice' } });
    expect(await problemCodes(badMeta.build())).toEqual(['ERR_META_INVALID']);

    const badKey = graph('g');
    const sender = badKey.resource(tokenResource, 'db', { token: 't' });
    const receiver = badKey.resource(fileResource, '/tmp/x', {});
    // @ts-expect-error: token sends `token` and `length`, not `password`
    badKey.send(sender, 'password', receiver, 'content');
    expect(await problemCodes(badKey.build())).toEqual(['ERR_SEND_RECV']);

    const badParam = graph('g');
    const sender2 = badParam.resource(tokenResource, 'db', { token: 't' });
    const receiver2 = badParam.resource(fileResource, '/tmp/x', {});
    // @ts-expect-error: file has no param `body`
    badParam.send(sender2, 'token', receiver2, 'body');
    expect(await problemCodes(badParam.build())).toEqual(['ERR_SEND_RECV']);

    const badValue = graph('g');
    const sender3 = badValue.resource(tokenResource, 'db', { token: 't' });
    const receiver3 = badValue.resource(fileResource, '/tmp/x', {});
    // @ts-expect-error: `length` is a number; `content` takes a string
    badValue.send(sender3, 'length', receiver3, 'content');
    expect(await problemCodes(badValue.build())).toEqual(['ERR_SEND_RECV']);

    const notSendable = graph('g');
    const plain = notSendable.resource(noopResource, 'a');
    const receiver4 = notSendable.resource(fileResource, '/tmp/x', {});
    // @ts-expect-error: noop sends nothing
    notSendable.send(plain, 'comment', receiver4, 'content');
    expect(await problemCodes(notSendable.build())).toEqual(['ERR_SEND_RECV']);
  });

  it('reports every problem at the line of code that made it', async () => {
    const g = graph('g');
    const a = g.resource(noopResource, 'a');
    const line = new Error().stack?.split('\n')[1] ?? '';
    const b = g.resource(fileResource, 'relative/path', { content: 'x' });
    g.edge(a, b);
    g.edge(b, a);
    g.resource(noopResource, 'a', { comment: 'another' });

    const error = await g.build().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(GraphLoadError);
    const problems = (error as GraphLoadError).problems;
    expect(problems.map((problem) => problem.code).sort()).toEqual(['ERR_CYCLE', 'ERR_DUPLICATE_RESOURCE', 'ERR_PARAM_INVALID']);
    for (const problem of problems) {
      expect(isEngineError(problem)).toBe(true);
      expect(problem.location?.file).toBe(THIS_FILE);
    }
    const invalid = problems.find((problem) => problem.code === 'ERR_PARAM_INVALID');
    expect(invalid?.resource).toBe('file[relative/path]');
    // The bad resource is on the line after the one `line` was taken on.
    const takenOn = Number(/:(\d+):\d+\)?$/.exec(line)?.[1]);
    expect(invalid?.location?.line).toBe(takenOn + 1);
  });

  it('refuses a cycle that only autoedges close, at an edge written in it, naming the automatic edges', async () => {
    const g = graph('g');
    const folder = g.resource(fileResource, '/tmp/site/', { state: 'exists' });
    const page = g.resource(fileResource, '/tmp/site/page', { state: 'exists', content: 'x' });
    const between = g.resource(noopResource, 'between');
    g.edge(page, between);
    g.edge(between, folder);

    const problem = await firstCycleProblem(g);
    expect(problem?.message).toContain(`; ${folder.id} -> ${page.id} is an autoedge`);
    expect(problem?.location?.file).toBe(THIS_FILE);
    expect(problem?.hint).toMatch(/autoedge: false/);
  });

  it('refuses an edge written against an autoedge (a file before its own folder), naming the automatic edge', async () => {
    const g = graph('g');
    const folder = g.resource(fileResource, '/tmp/site/', { state: 'exists' });
    const page = g.resource(fileResource, '/tmp/site/page', { state: 'exists', content: 'x' });
    g.edge(page, folder);

    const problem = await firstCycleProblem(g);
    expect(problem?.message).toContain(`; ${folder.id} -> ${page.id} is an autoedge`);
  });

  it('names the graph', async () => {
    await expect(graph(' ').build()).rejects.toThrow(/no name/);
    const built = await graph('named').comment('a comment').build();
    expect(built.name).toBe('named');
    expect(built.file).toBe('<api>');
  });
});
