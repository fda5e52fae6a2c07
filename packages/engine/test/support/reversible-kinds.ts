import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { defineResource, Type, type AnyResourceDefinition, type Static } from '@converge/engine-api';

/** A real file: its content, or `absent`. */
export const FileParams = Type.Object({ path: Type.String(), content: Type.Optional(Type.String()), absent: Type.Optional(Type.Boolean()) });
type File = Static<typeof FileParams>;

/** A file's reversal: its content now, or its absence. */
export async function priorFile(params: Readonly<File>): Promise<File> {
  try {
    return { path: params.path, content: await readFile(params.path, 'utf8') };
  } catch {
    return { path: params.path, absent: true };
  }
}

/** One file's checkApply: true when it is as `file` says; each write (or removal) is noted in `writes`. */
export async function putFile(file: Readonly<File>, apply: boolean, writes: string[] = []): Promise<boolean> {
  const current = await readFile(file.path, 'utf8').catch(() => undefined);
  if (file.absent ? current === undefined : current === file.content) return true;
  if (!apply) return false;
  if (file.absent) {
    await rm(file.path);
    writes.push(`rm ${file.path}`);
  } else {
    await writeFile(file.path, file.content ?? '');
    writes.push(`${file.path}: ${file.content ?? ''}`);
  }
  return false;
}

/** A real folder, reversible: absent before means removed (with rmdir, which fails when not empty). */
export function folderKind(): AnyResourceDefinition {
  return defineResource({
    kind: 'folder',
    params: Type.Object({ path: Type.String(), absent: Type.Optional(Type.Boolean()) }),
    nameParam: 'path',
    reversible: {
      async reversal(_instance, params) {
        return existsSync(params.path) ? undefined : { path: params.path, absent: true };
      },
    },
    create(params) {
      return {
        async checkApply(apply) {
          const present = existsSync(params.path);
          if (present !== Boolean(params.absent)) return true;
          if (apply && params.absent) await rmdir(params.path);
          else if (apply) await mkdir(params.path);
          return false;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}
