import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isMissingPath } from './errors.js';
import { withNoFollowHandle } from './fs-state.js';
import type { NewFile } from './temp-files.js';

/**
 * Files above this size are compared and copied a chunk at a time and never
 * held whole in memory: a disk image or an archive as a `source` would
 * otherwise cost its size in memory twice per check, and one of 2 GiB or
 * more cannot be read into one buffer at all.
 */
export const LARGE_FILE_BYTES = 64 << 20;

/** Bytes read per call: between two, an abort is seen. */
const CHUNK_BYTES = 1 << 20;

/**
 * Opens an input (a `source`) for reading, following a symlink to it as a
 * source may be one, and without blocking: a FIFO swapped in since it was
 * looked at must not hang the open. Refuses anything but a regular file.
 */
export async function openInputFile(file: string): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is no longer a regular file`);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads up to `buffer.length` bytes at `position`, as many as the file has there (a short read is not its end on every file system). */
async function readAt(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * Whether the regular file at `to` (never read through a symlink) holds the
 * bytes of the file `from`, compared a chunk at a time and stopping at the
 * first difference; undefined when nothing is at `to` any more.
 */
export async function sameBytesInChunks(from: string, to: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const source = await openInputFile(from);
  try {
    return await withNoFollowHandle(to, false, async (target) => {
      const wanted = Buffer.allocUnsafe(CHUNK_BYTES);
      const actual = Buffer.allocUnsafe(CHUNK_BYTES);
      for (let position = 0; ; position += CHUNK_BYTES) {
        signal?.throwIfAborted();
        const [read, seen] = await Promise.all([readAt(source, wanted, position), readAt(target, actual, position)]);
        if (read !== seen || !wanted.subarray(0, read).equals(actual.subarray(0, seen))) return false;
        if (read < CHUNK_BYTES) return true;
      }
    });
  } catch (error) {
    if (isMissingPath(error)) return undefined;
    throw error;
  } finally {
    await source.close();
  }
}

/** Copies all of `source` into `target` from its start, a chunk at a time, stopping (with the abort's reason) once `signal` aborts. */
export async function copyInChunks(source: FileHandle, target: Pick<NewFile, 'write'>, signal?: AbortSignal): Promise<void> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let position = 0; ; ) {
    signal?.throwIfAborted();
    const read = await readAt(source, buffer, position);
    let written = 0;
    while (written < read) written += (await target.write(buffer, written, read - written, position + written)).bytesWritten;
    position += read;
    if (read < CHUNK_BYTES) return;
  }
}
