import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@converge/testkit';
import type { TestContext } from '@converge/testkit';
import { execResource } from '../src/index.js';
import type { ExecParams, ExecSends } from '../src/index.js';
import type { ExecInstance } from '../src/exec-instance.js';

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'res-exec-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await sleep(20);
  }
}

/** Waits until `path` holds a pid and returns it. */
export async function readPid(path: string): Promise<number> {
  let pid = Number.NaN;
  await eventually(async () => {
    pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    return Number.isInteger(pid) && pid > 0;
  });
  return pid;
}

export interface LiveExec {
  readonly res: ExecInstance;
  readonly harness: TestContext<ExecParams, ExecSends>;
  /** The params the instance reads; the engine writes received values into them, and so may a test. */
  readonly params: ExecParams;
  readonly signal: AbortSignal;
  /** Aborts the running checkApply/watch. */
  abort(): void;
}

/** Makes and inits an exec resource with a test context; `cmd` defaults to `name`. */
export async function makeExec(name: string, params: Partial<ExecParams> = {}, options: { polled?: boolean; receives?: string[] } = {}): Promise<LiveExec> {
  const full = { cmd: name, ...params } as ExecParams;
  const issues = (execResource.validate?.(full) ?? []).filter((issue) => issue.severity !== 'warning');
  if (issues.length > 0) throw new Error(`invalid params: ${JSON.stringify(issues)}`);
  const res = execResource.create(full) as ExecInstance;
  const harness = createTestContext<ExecParams, ExecSends>({ kind: 'exec', name, ...options });
  await res.init(harness.ctx);
  const controller = new AbortController();
  return { res, harness, params: full, signal: controller.signal, abort: () => controller.abort() };
}
