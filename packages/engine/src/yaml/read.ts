import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { EngineError } from '@converge/engine-api';
import { GraphLoadError } from '../graph/load-error.js';
import { readPipe, readStandardInput, readStreamOnce, streamedBefore, StreamTooLarge } from './read-stream.js';
import { locationInText } from './text-check.js';

/** Graph files larger than this are refused before being read. */
export const MAX_GRAPH_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a graph file as UTF-8 text: a file, a pipe (`<(gen)`), or standard
 * input for `-`; a pipe or standard input is read once, and later reads of
 * the same path get that text again. Throws GraphLoadError with one
 * ERR_GRAPH_FILE problem naming the path when the file is missing,
 * unreadable, neither a regular file nor a pipe, larger than 16 MiB or not
 * valid UTF-8 (then with the line and column of the first bad byte).
 */
export async function readGraphFile(path: string): Promise<string> {
  const bytes = await readBounded(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    throw new GraphLoadError([
      new EngineError('ERR_GRAPH_FILE', `${path} is not valid UTF-8 (bad byte 0x${(bytes[offset] ?? 0).toString(16)})`, {
        phase: 'load',
        location: locationInText(before, before.length, path),
        hint: 'save the graph file as UTF-8 text',
      }),
    ]);
  }
}

async function readBounded(path: string): Promise<Uint8Array> {
  const before = streamedBefore(path);
  if (before) return before;
  if (path === '-') return readStandardInputOnce();
  let handle;
  try {
    // Not blocking: a named pipe would wait in open() for a writer, forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (stat.isDirectory()) throw fileError(`${path} is a directory, not a graph file`, undefined, 'give the path of a graph file (a .yaml file) in it');
    if (stat.isFIFO()) {
      const pipe = handle;
      // A named pipe itself (not a shell's /dev/fd/N link to one): its writer may come after this reader, as with `cat`.
      const named = (await lstat(path)).isFIFO();
      return await readStreamOnce(path, () => readPipe(pipe, MAX_GRAPH_FILE_BYTES, named));
    }
    if (!stat.isFile()) throw fileError(`${path} is neither a regular file nor a pipe`, undefined, 'give the path of a graph file, or pipe the graph in: gen | converge validate -');
    if (stat.size > MAX_GRAPH_FILE_BYTES) {
      throw fileError(`${path} is ${stat.size} bytes; graph files may be at most ${MAX_GRAPH_FILE_BYTES} bytes`, undefined, 'check the path: a graph this large is most likely another file');
    }
    // Read one byte past the limit so a file that grew after stat is still caught.
    const buffer = new Uint8Array(MAX_GRAPH_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_GRAPH_FILE_BYTES) throw tooLarge(path);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof GraphLoadError) throw error;
    if (error instanceof StreamTooLarge) throw tooLarge(path);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A link whose target is gone is named as such: "does not exist" alone sends the user looking at the link.
      const target = await readlink(path).catch(() => undefined);
      if (target !== undefined) throw fileError(`${path} is a symlink to ${target}, which does not exist`, error, 'point the link at the graph file, or give the graph file\'s own path');
      throw fileError(`${path} does not exist`, error, 'check the path (a relative path starts at the current folder)');
    }
    const hint = code === 'EACCES' || code === 'EPERM' ? 'run converge as a user who may read it, or make it readable' : 'check that the path names a graph file this user can read';
    throw fileError(`${path} cannot be read (${code ?? String(error)})`, error, hint);
  } finally {
    await handle?.close();
  }
}

/** `-`: standard input, unless it is a terminal (a graph typed in by hand is most likely a forgotten file name or pipe). */
async function readStandardInputOnce(): Promise<Uint8Array> {
  if (process.stdin.isTTY) {
    throw fileError("'-' reads the graph from standard input, which is a terminal here", undefined, 'pipe the graph in (gen | converge validate -) or give the path of its file');
  }
  let bytes: Uint8Array;
  try {
    bytes = await readStreamOnce('-', () => readStandardInput(MAX_GRAPH_FILE_BYTES));
  } catch (error) {
    if (error instanceof StreamTooLarge) throw tooLarge('standard input');
    throw fileError(`standard input cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error, 'pipe the graph in, or give the path of its file');
  }
  // Closed, /dev/null, or a generator that wrote nothing: "the graph file is empty" would send the user looking for a file (QA).
  if (bytes.length === 0) throw fileError("'-' reads the graph from standard input, which was empty", undefined, 'pipe the graph in (gen | converge validate -) or give the path of its file');
  return bytes;
}

function tooLarge(what: string): GraphLoadError {
  return fileError(`${what} is larger than ${MAX_GRAPH_FILE_BYTES} bytes`, undefined, 'check the path: a graph this large is most likely another file');
}

function fileError(message: string, cause: unknown, hint: string): GraphLoadError {
  return new GraphLoadError([new EngineError('ERR_GRAPH_FILE', message, { phase: 'load', ...(cause === undefined ? {} : { cause }), hint })]);
}

/** The offset where the first malformed UTF-8 sequence starts. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decodes = (end: number, stream: boolean): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream });
      return true;
    } catch {
      return false;
    }
  };
  // The longest prefix that decodes when a sequence may be cut at its end
  // ends at the first bad byte; found by halving.
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (decodes(middle, true)) good = middle;
    else bad = middle;
  }
  // The bad byte may continue a sequence that started up to three bytes earlier.
  for (let start = good; start >= Math.max(0, good - 3); start -= 1) if (decodes(start, false)) return start;
  return good;
}
