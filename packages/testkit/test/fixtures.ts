import { readFile, writeFile } from 'node:fs/promises';
import { defineResource, Type, type ResourceContext } from '@converge/engine-api';

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A minimal real resource: a file with exactly `content`. */
export const contentFileResource = defineResource({
  kind: 'test:content',
  params: Type.Object({
    path: Type.String(),
    content: Type.String({ default: 'hello\n' }),
  }),
  nameParam: 'path',
  sends: Type.Object({ bytes: Type.Number() }),
  refreshable: true,
  validate(params) {
    return params.path.startsWith('/') ? [] : [{ param: 'path', message: 'must be absolute' }];
  },
  create(params) {
    let context: ResourceContext<typeof params, { bytes: number }> | undefined;
    return {
      init(ctx) {
        context = ctx;
      },
      async checkApply(apply) {
        // A refresh forces a rewrite, as a refreshable kind would restart something.
        const same = (await readOrUndefined(params.path)) === params.content && !context?.refresh();
        if (!same && apply) await writeFile(params.path, params.content);
        context?.send({ bytes: Buffer.byteLength(params.content) });
        return same;
      },
      cleanup() {
        cleanupLog.push(params.path);
      },
    };
  },
});

/** Paths whose resources ran cleanup, so tests can see it always runs. */
export const cleanupLog: string[] = [];

/** Breaks the contract: every apply appends, so a second apply still changes something. */
export const appendingFileResource = defineResource({
  kind: 'test:append',
  params: Type.Object({ path: Type.String(), line: Type.String() }),
  nameParam: 'path',
  create(params) {
    return {
      async checkApply(apply) {
        if (!apply) return false;
        const before = (await readOrUndefined(params.path)) ?? '';
        await writeFile(params.path, `${before}${params.line}\n`);
        return false;
      },
    };
  },
});
