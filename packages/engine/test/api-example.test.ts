import { open, readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { greetingFrontend } from '../../../examples/typescript-api.js';
import { runFrontend } from '../src/api/frontend.js';
import { cleanUp, eventually, tempDir, testEngine } from './api-support.js';

afterEach(cleanUp);

const contentOf = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

describe('the TypeScript API example (examples/typescript-api.ts)', () => {
  it('publishes the page and swaps in a new graph each time the input file is saved', async () => {
    const dir = await tempDir();
    const input = `${dir}/greeting.txt`;
    await writeFile(input, 'hello\n');
    const engine = await testEngine();
    const stop = new AbortController();
    const graphs: string[] = [];

    const running = runFrontend(engine, greetingFrontend(`${dir}/www`, input), stop.signal, {
      onSwap: (built) => graphs.push(String(built.resources.get(`file[${dir}/www/index.html]`)?.params.content)),
    });
    await eventually(async () => (await contentOf(`${dir}/www/index.html`)) === '<h1>hello</h1>\n', 'the first page');
    await engine.whenConverged(AbortSignal.timeout(10_000));
    // A save as editors and shells make it: truncated first, written a moment later (an empty read in between made an empty page).
    const saving = await open(input, 'w');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await saving.writeFile('bonjour\n');
    await saving.close();
    await eventually(async () => (await contentOf(`${dir}/www/index.html`)) === '<h1>bonjour</h1>\n', 'the page after the input changed');
    stop.abort();
    await running;

    expect(graphs).toEqual(['<h1>hello</h1>\n', '<h1>bonjour</h1>\n']);
    expect(engine.failures()).toEqual([]);
  });
});
