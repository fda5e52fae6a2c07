import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Graphs read from standard input (`-`) or a pipe (`<(gen)`, a named
 * pipe), by the path given. Such a graph can be read once only, and a
 * graph is read more than once (a second parse for error locations, a
 * cluster run's own exports, SIGHUP): later reads get the first read's
 * bytes.
 */
const streamed = new Map<string, Promise<Uint8Array>>();

/** Whether the graph at `path` is (or, for `-`, will be) read from standard input or a pipe: there is no file to watch for saves. */
export function isStreamedGraph(path: string): boolean {
  return path === '-' || streamed.has(path);
}

/** The bytes read earlier from the pipe or standard input at `path`, if it was one. */
export function streamedBefore(path: string): Promise<Uint8Array> | undefined {
  return streamed.get(path);
}

/** Reads `read` once for `path`, and keeps what it read for later reads. */
export function readStreamOnce(path: string, read: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const bytes = streamed.get(path) ?? read();
  streamed.set(path, bytes);
  return bytes;
}

/** Thrown when the text goes on past `maxBytes`. */
export class StreamTooLarge extends Error {}

/** Standard input to its end, at most `maxBytes`. */
export async function readStandardInput(maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length > maxBytes) {
      process.stdin.destroy();
      throw new StreamTooLarge();
    }
  }
  return Buffer.concat(chunks, length);
}

/** How long to wait before asking a pipe whose writer has not written yet again. */
const PIPE_RETRY_MS = 5;

/**
 * A pipe opened without blocking, to its end, at most `maxBytes`. One whose
 * writer has not written yet is asked again until it has. With
 * `waitForWriter` (a named pipe), one no process has opened for writing yet
 * is waited on as `cat` waits (QA: a reader started before its writer read
 * an empty graph); without (a shell's `<(gen)`, whose writer is there from
 * the start), it ends at once.
 */
export async function readPipe(handle: FileHandle, maxBytes: number, waitForWriter = false): Promise<Uint8Array> {
  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  // A pipe without a writer reads as its end, until one opens it.
  let writerSeen = !waitForWriter;
  for (;;) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      writerSeen = true;
      await sleep(PIPE_RETRY_MS);
      continue;
    }
    if (bytesRead === 0 && !writerSeen) {
      await sleep(PIPE_RETRY_MS);
      continue;
    }
    writerSeen = true;
    if (bytesRead === 0) return buffer.subarray(0, length);
    length += bytesRead;
    if (length > maxBytes) throw new StreamTooLarge();
  }
}
