import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineError } from '@converge/engine-api';
import { fileResource } from '@converge/res-file';
import { runFrontend, type GraphFrontend } from '../src/api/frontend.js';
import { graph } from '../src/api/graph-builder.js';
import { noopResource } from '../src/builtin/noop.js';
import type { ResolvedGraph } from '../src/graph/spec.js';
import type { Engine } from '../src/runtime/engine.js';
import { cleanUp, eventually, tempDir, testEngine } from './api-support.js';

afterEach(cleanUp);

/** A page under a managed folder, with `content`. */
function pageGraph(dir: string, content: string): Promise<ResolvedGraph> {
  const g = graph('page');
  g.resource(fileResource, `${dir}/site/`, { state: 'exists' });
  const page = g.resource(fileResource, `${dir}/site/page`, { state: 'exists', content });
  g.edge(page, g.resource(noopResource, 'published'), { notify: true });
  return g.build();
}

/**
 * A graph the engine refuses: res-file's autoedge (folder -> page) closes a
 * cycle with page -> noop -> folder. build() refuses it too, so the closing
 * edge is added to a built graph by hand, as an embedder that makes its own
 * ResolvedGraph could: the engine must still check.
 */
async function cyclicGraph(dir: string): Promise<ResolvedGraph> {
  const g = graph('cyclic');
  g.resource(fileResource, `${dir}/site/`, { state: 'exists' });
  const page = g.resource(fileResource, `${dir}/site/page`, { state: 'exists', content: 'bad\n' });
  g.edge(page, g.resource(noopResource, 'between'));
  const built = await g.build();
  const closing = { from: 'noop[between]', to: `file[${dir}/site/]`, notify: false, origin: 'explicit' as const };
  return { ...built, edges: [...built.edges, closing] };
}

/**
 * Emits each graph once the engine has converged on the one before (calling
 * `converged` then, while that graph still runs), then waits for the abort.
 */
function afterConvergence(
  engine: Engine,
  graphs: readonly (() => Promise<ResolvedGraph>)[],
  converged: () => Promise<void> = async () => undefined,
): GraphFrontend {
  return {
    async *graphs(signal) {
      for (const [index, next] of graphs.entries()) {
        if (index > 0) {
          await engine.whenConverged(signal);
          await converged();
        }
        yield await next();
      }
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  };
}

const contentOf = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

describe('runFrontend', () => {
  it('starts the first graph and swaps in the next one (real file content changes)', async () => {
    const dir = await tempDir();
    const engine = await testEngine();
    const stop = new AbortController();
    const swapped: string[] = [];
    // Read when the engine has converged on a graph, before the next is swapped in:
    // polled from outside, the first graph's page can be rewritten between two looks.
    const seenAtConvergence: Array<string | undefined> = [];

    const running = runFrontend(
      engine,
      afterConvergence(engine, [() => pageGraph(dir, 'one\n'), () => pageGraph(dir, 'two\n')], async () => {
        seenAtConvergence.push(await contentOf(`${dir}/site/page`));
      }),
      stop.signal,
      { onSwap: (built) => swapped.push(String(built.resources.get(`file[${dir}/site/page]`)?.params.content)) },
    );

    await eventually(async () => (await contentOf(`${dir}/site/page`)) === 'two\n', 'the second graph to rewrite the page');
    await engine.whenConverged(AbortSignal.timeout(10_000));
    stop.abort();
    await running;

    expect(seenAtConvergence).toEqual(['one\n']);
    expect(swapped).toEqual(['one\n', 'two\n']);
    expect(engine.failures()).toEqual([]);
  });

  it('reports a graph the engine refuses and keeps the running one', async () => {
    const dir = await tempDir();
    const engine = await testEngine();
    const stop = new AbortController();
    const cyclic = (): Promise<ResolvedGraph> => cyclicGraph(dir);
    const refused: unknown[] = [];

    const running = runFrontend(engine, afterConvergence(engine, [() => pageGraph(dir, 'good\n'), cyclic]), stop.signal, {
      onError: (error) => refused.push(error),
    });
    await eventually(async () => refused.length > 0, 'the cyclic graph to be refused');

    expect(isEngineError(refused[0]) && refused[0].code).toBe('ERR_CYCLE');
    // The first graph still runs: it puts the page back when it is changed behind its back.
    await writeFile(`${dir}/site/page`, 'tampered\n');
    await eventually(async () => (await contentOf(`${dir}/site/page`)) === 'good\n', 'the running graph to restore the page');
    stop.abort();
    await running;
  });

  it('rejects with the refusal when no onError is given', async () => {
    const engine = await testEngine();
    const cyclic = await cyclicGraph(await tempDir());
    const once: GraphFrontend = {
      async *graphs() {
        yield cyclic;
      },
    };

    await expect(runFrontend(engine, once, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'ERR_CYCLE' });
  });

  it('returns on abort even when the frontend ignores the signal', async () => {
    const engine = await testEngine();
    const dir = await tempDir();
    const deaf: GraphFrontend = {
      async *graphs() {
        yield await pageGraph(dir, 'x\n');
        await new Promise(() => undefined);
      },
    };
    const stop = new AbortController();
    const running = runFrontend(engine, deaf, stop.signal);
    await eventually(async () => (await contentOf(`${dir}/site/page`)) === 'x\n', 'the page');

    stop.abort();
    const outcome = await Promise.race([running.then(() => 'returned'), sleep(2_000).then(() => 'still running')]);

    expect(outcome).toBe('returned');
  });
});
