import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@converge/testkit';
import type { TestContext } from '@converge/testkit';
import { fileResource } from '../src/index.js';
import type { FileParams } from '../src/index.js';
import type { FileInstance } from '../src/file-instance.js';

/** A fresh temporary directory (its real path, so no symlinked parent), removed by `remove`. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'res-file-')));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await sleep(10);
  }
}

/** Names in `dir` that look like this package's temp files. */
export async function leftoverTempFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.converge-') && name.endsWith('.tmp'));
}

export interface LiveFile {
  readonly res: FileInstance;
  readonly harness: TestContext<FileParams, object>;
  /** The params object the instance reads: what an edge's receive writes into. */
  readonly params: FileParams;
  checkApply(apply: boolean): Promise<boolean>;
  /** Runs cleanup and disposes of the context. */
  close(): Promise<void>;
}

/** Validates, makes and inits a file resource; `path` defaults to `name`; `receives`: the params an edge fills. */
export async function makeFile(name: string, params: Partial<FileParams> = {}, receives?: readonly string[]): Promise<LiveFile> {
  const full = { path: name, ...params } as FileParams;
  // Warnings load, as in the engine: the resource is made all the same.
  const issues = (fileResource.validate?.(full) ?? []).filter((issue) => issue.severity !== 'warning');
  if (issues.length > 0) throw new Error(`invalid params: ${JSON.stringify(issues)}`);
  const res = fileResource.create(full) as FileInstance;
  const harness = createTestContext<FileParams, object>({ kind: 'file', name, ...(receives ? { receives } : {}) });
  res.init(harness.ctx);
  const controller = new AbortController();
  return {
    res,
    harness,
    params: full,
    checkApply: (apply) => Promise.resolve(res.checkApply(apply, controller.signal)),
    async close() {
      controller.abort();
      res.cleanup();
      await harness.dispose();
    },
  };
}

/**
 * The issues `validate` reports for these params, as `param: message` lines.
 * Any values: validate meets what a user wrote, wrong types included.
 */
export function issuesOf(params: Readonly<Record<string, unknown>>, severity: 'error' | 'warning' = 'error'): string[] {
  return (fileResource.validate?.({ path: '/srv/x', ...params } as FileParams) ?? [])
    .filter((issue) => (issue.severity ?? 'error') === severity)
    .map((issue) => `${issue.param ?? ''}: ${issue.message}`);
}

/** The error checkApply(apply) throws for `params` at `name` (undefined if none); the resource is closed after. */
export async function refusal(name: string, params: Partial<FileParams>, apply: boolean): Promise<unknown> {
  const file = await makeFile(name, params);
  try {
    return await file.checkApply(apply).then(
      () => undefined,
      (error: unknown) => error,
    );
  } finally {
    await file.close();
  }
}
