import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineResource, Type, type ResourceContext } from '@converge/engine-api';
import { Engine } from '../src/runtime/engine.js';

const dirs: string[] = [];
const engines: Engine[] = [];

/** A fresh temporary folder, removed by `cleanUp`. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-api-test-'));
  dirs.push(dir);
  return dir;
}

/** An engine with converger timeout 0 and its own state dir, stopped by `cleanUp`. */
export async function testEngine(): Promise<Engine> {
  const engine = new Engine({ stateDir: await tempDir(), convergerTimeout: 0 });
  engines.push(engine);
  return engine;
}

export async function cleanUp(): Promise<void> {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Resolves once `probe` returns true; fails after `timeoutMs`. */
export async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A sendable kind for send/recv tests: sends its `token` param as `token`, and its length as `length`. */
export const tokenResource = defineResource({
  kind: 'token',
  params: Type.Object({ token: Type.String({ minLength: 1 }) }),
  sends: Type.Object({ token: Type.String(), length: Type.Integer() }),
  create(params) {
    let ctx: ResourceContext<typeof params, { token: string; length: number }> | undefined;
    return {
      init(context) {
        ctx = context;
      },
      checkApply() {
        ctx?.send({ token: params.token, length: params.token.length });
        return true;
      },
    };
  },
});
