import type Docker from 'dockerode';

const TAIL_LINES = 5;
const TAIL_CHARS = 400;

/**
 * The last few lines a container wrote (stdout and stderr), for an error
 * message; empty when there are none or they cannot be read (it is a detail).
 */
export async function logTail(container: Docker.Container, tty: boolean, signal: AbortSignal): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: TAIL_LINES, follow: false, abortSignal: signal })) as unknown;
    const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    const text = (tty ? bytes : demultiplex(bytes)).toString('utf8').trim();
    return text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
  } catch {
    return '';
  }
}

/** Without a TTY the engine frames each chunk: 1 byte stream, 3 zero bytes, 4 bytes big-endian length. */
function demultiplex(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(offset + 4);
    parts.push(bytes.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts);
}
