import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, InputError } from './errors.js';
import { NOT_UTF8, namesIn } from './folder-names.js';
import { LARGE_FILE_BYTES } from './large-files.js';
import type { FileParams } from './params.js';
import { tempTargetOf } from './temp-names.js';

/** Fragments are joined in memory: a file larger than this is refused, with a clear error, rather than fail inside Node. */
const MAX_JOINED_BYTES = 1 << 30;

/** The files a fragment stands for: itself, or the regular files of a directory sorted by name. */
export async function fragmentFiles(fragment: string): Promise<string[]> {
  if (!fragment.endsWith('/')) return [fragment];
  const { names, unnameable } = await namesIn(fragment).catch((error: unknown) => {
    const code = errnoCode(error);
    if (code === 'ENOENT') throw new InputError(`fragments folder ${fragment} does not exist`, 'create it first, or manage it with a file resource (the folder is then made before this file)', error);
    if (code === 'ENOTDIR') throw new InputError(`fragments folder ${fragment} is not a folder`, `write it without the trailing / to add that one file`, error);
    throw error;
  });
  // Leaving it out would make content without it.
  if (unnameable[0] !== undefined) throw new InputError(`fragment ${join(fragment, unnameable[0])} ${NOT_UTF8}`, 'rename it');
  const files: string[] = [];
  for (const name of names) {
    // converge's own temp files (a write in progress into that folder) are not fragments: they come and go, and are the file half made (QA: a copy into the folder grew the joined file with them).
    if (tempTargetOf(name) !== undefined) continue;
    const file = join(fragment, name);
    // stat (not lstat): a link to a file in a fragment dir counts as that file.
    const stats = await stat(file).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw error;
      // Gone since the listing, or a link to nothing: leaving it out would make content without it.
      throw new InputError(`fragment ${file} does not exist (a symlink to nothing?)`, 'point the link at a file, or remove it', error);
    });
    if (stats.isFile()) files.push(file);
  }
  return files;
}

/** What a special file is, for messages. */
function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * The bytes of an input file (`what` says which: a fragment, the source),
 * following a symlink to it. Only a regular file is read: opening a named
 * pipe would wait for a writer with no end (holding one of libuv's few
 * threads), and a device may act on being opened. It is looked at before
 * it is opened, and opened without blocking in case it was swapped since.
 * A directory there was written without its trailing `/`: the read's bare
 * EISDIR would name neither the input nor the fix.
 */
async function readInput(file: string, what: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const isDirectory = (): InputError => {
    const fix = what === 'fragment' ? `write it as ${file}/ to add the files in it` : `write it as ${file}/ (and the path with a trailing /, with recurse: true) to copy the directory`;
    return new InputError(`${what} ${file} is a directory, not a file`, fix);
  };
  const special = (stats: Stats): InputError =>
    new InputError(`${what} ${file} is ${specialKind(stats)}, not a regular file: it is not read`, `point ${what} at a regular file`);
  const before = await stat(file).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
    throw new InputError(`${what} ${file} does not exist`, `create it first, or manage it with a file resource (the ${what} is then written before this file)`, error);
  });
  if (before.isDirectory()) throw isDirectory();
  if (!before.isFile()) throw special(before);
  if (before.size > MAX_JOINED_BYTES) {
    throw new InputError(`${what} ${file} is ${before.size} bytes: too large to read into memory (at most ${MAX_JOINED_BYTES} bytes)`, `make the file from it with a source of its own (a large source is copied a chunk at a time), or with an exec`);
  }
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw isDirectory();
    if (!stats.isFile()) throw special(stats);
    return await handle.readFile({ signal });
  } finally {
    await handle.close();
  }
}

/**
 * The `source` file when it is large (LARGE_FILE_BYTES): compared and copied
 * a chunk at a time, never read whole. Undefined for any other source or
 * when it cannot be looked at now (reading it then says why).
 */
export async function largeSourceFile(params: Readonly<FileParams>): Promise<{ readonly path: string; readonly size: number } | undefined> {
  const { source } = params;
  if (params.content !== undefined || params.fragments !== undefined || source === undefined || params.symlink || source.endsWith('/')) return undefined;
  const stats = await stat(source).catch(() => undefined);
  return stats?.isFile() && stats.size > LARGE_FILE_BYTES ? { path: source, size: stats.size } : undefined;
}

/**
 * The bytes a file resource wants at its path, from `content`, `fragments`
 * or a `source` file; undefined when it manages existence only. Inputs are
 * read as they are now: a change to them is seen by watch. An abort of
 * `signal` stops a long read (a large source).
 */
export async function desiredFileContent(params: Readonly<FileParams>, signal?: AbortSignal): Promise<Buffer | undefined> {
  if (params.content !== undefined) return Buffer.from(params.content, 'utf8');
  if (params.fragments !== undefined) {
    // The file as it is now: a fragment that is it (a link to it in a
    // fragments folder) would add the file to itself at every write, for
    // ever (QA: it grew without end).
    const itself = await stat(params.path).catch(() => undefined);
    const parts: Buffer[] = [];
    for (const fragment of params.fragments) {
      for (const file of await fragmentFiles(fragment)) {
        const found = itself === undefined ? undefined : await stat(file).catch(() => undefined);
        if (found !== undefined && itself !== undefined && found.ino === itself.ino && found.dev === itself.dev) {
          throw new InputError(`fragment ${file} is ${params.path} itself (through a symlink): the file would grow at every write`, 'remove the link, or point it at another file');
        }
        parts.push(await readInput(file, 'fragment', signal));
      }
    }
    return Buffer.concat(parts);
  }
  if (params.source !== undefined && !params.symlink) return readInput(params.source, 'source', signal);
  return undefined;
}

/**
 * The mode a new copy of a `source` file starts with, as `cp` gives it:
 * the source's; through a symlink, the mode of what it points to (a link's
 * own mode is 0777: a secret behind a link would be copied world-writable).
 * Undefined without a source file (or when it cannot be read now).
 */
export async function copiedFileMode(params: Readonly<FileParams>): Promise<number | undefined> {
  if (params.source === undefined || params.symlink || params.path.endsWith('/')) return undefined;
  const stats = await stat(params.source).catch(() => undefined);
  return stats === undefined ? undefined : stats.mode & 0o7777;
}
