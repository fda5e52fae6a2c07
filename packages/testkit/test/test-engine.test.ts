import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineResource, Type } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../src/index.js';
import { contentFileResource } from './fixtures.js';

/** A checkApply that takes `ms` (or until aborted), to see a graph that is not converged yet. */
const slowResource = defineResource({
  kind: 'test:slow',
  params: Type.Object({ ms: Type.Integer({ default: 1000 }) }),
  create(params) {
    let done = false;
    return {
      async checkApply(apply, signal) {
        if (done || !apply) return done;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, params.ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        done = true;
        return false;
      },
    };
  },
});

let dir: string;
let running: TestEngine | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'testkit-engine-'));
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('startTestEngine', () => {
  it('runs a YAML graph with given and built-in kinds until converged', async () => {
    const path = join(dir, 'out.txt');
    running = await startTestEngine({
      resources: [contentFileResource],
      yaml: [
        'graph: demo',
        'resources:',
        '  noop:',
        '  - name: first',
        '  test:content:',
        `  - name: ${path}`,
        '    content: "from the graph"',
        'edges:',
        '- name: e1',
        '  from: {kind: noop, name: first}',
        `  to: {kind: "test:content", name: "${path}"}`,
      ].join('\n'),
    });
    await running.waitConverged();
    expect(await readFile(path, 'utf8')).toBe('from the graph');
    expect(running.status(`test:content[${path}]`)?.state).toBe('converged');
    expect(running.status('noop[first]')?.state).toBe('converged');
    expect(running.status('noop[missing]')).toBeUndefined();
    expect(running.graph.resources.size).toBe(2);
    const stateDir = running.stateDir;
    await running.stop();
    running = undefined;
    await expect(access(stateDir)).rejects.toThrow(/ENOENT/);
  });

  it('rejects waitConverged on timeout, naming what is still busy', async () => {
    running = await startTestEngine({
      resources: [slowResource],
      yaml: 'graph: slow\nresources:\n  test:slow:\n  - name: s\n    ms: 3000\n',
    });
    await expect(running.waitConverged(200)).rejects.toThrow(/not converged within 200 ms:[\s\S]*test:slow\[s\]: (running|pending)/);
    running.engine.abort();
  });

  it('rejects waitConverged on timeout even when nothing else keeps Node running (a script is not left to exit silently)', async () => {
    // A resource whose watch never tells it is live, and holds no timer: only waitConverged's own timer keeps the process up.
    const script = join(dir, 'never.mjs');
    const testkit = new URL('../dist/index.js', import.meta.url).href;
    const engineApi = new URL('../../engine-api/dist/index.js', import.meta.url).href;
    await writeFile(
      script,
      `import { defineResource, Type } from ${JSON.stringify(engineApi)};
import { startTestEngine } from ${JSON.stringify(testkit)};
const silent = defineResource({ kind: 'test:silent', params: Type.Object({}), create: () => ({ checkApply: () => true, watch: () => new Promise(() => {}) }) });
const running = await startTestEngine({ resources: [silent], yaml: 'graph: g\\nresources:\\n  test:silent:\\n  - name: s\\n' });
try {
  await running.waitConverged(300);
} catch (error) {
  console.log(error.message.split('\\n')[0]);
}
running.engine.abort();
await running.stop();
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: new URL('..', import.meta.url).pathname });
    expect(stdout.trim()).toBe('test engine: not converged within 300 ms:');
  });

  it('throws the engine load error for an unknown kind', async () => {
    await expect(
      startTestEngine({ yaml: 'graph: bad\nresources:\n  nosuchkind:\n  - name: x\n', file: 'bad.yaml' }),
    ).rejects.toThrow(/nosuchkind/);
  });

  it('keeps a state dir it was given', async () => {
    running = await startTestEngine({ yaml: 'graph: g\nresources:\n  noop:\n  - name: n\n', stateDir: dir });
    await running.waitConverged();
    await running.stop();
    running = undefined;
    await access(dir);
  });
});
