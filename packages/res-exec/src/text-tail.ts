/** How many trailing stderr lines of a command an error message shows. */
export const STDERR_TAIL_LINES = 20;
/**
 * How many bytes of those lines, at most: a command may print one line of
 * megabytes, and an error message is read by people and kept in logs.
 */
export const STDERR_TAIL_BYTES = 2048;

/** The mark put before text whose start was cut off. */
const CUT_MARK = '…';

/**
 * The last `maxBytes` bytes of `text` (as UTF-8), marked with "…" when
 * something before them was cut. The cut never splits a character.
 */
export function lastBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip UTF-8 continuation bytes (10xxxxxx): the tail starts on a whole character.
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return `${CUT_MARK}${bytes.subarray(start).toString('utf8')}`;
}

/** The end of a command's stderr for an error message: its last lines, capped in bytes. */
export function stderrTail(stderr: string): string {
  const all = stderr.trimEnd().split('\n');
  const lines = all.slice(-STDERR_TAIL_LINES).join('\n');
  const tail = lastBytes(lines, STDERR_TAIL_BYTES);
  // Lines left out are marked too, on a line of its own (a cut in bytes marks itself).
  return all.length > STDERR_TAIL_LINES && !tail.startsWith(CUT_MARK) ? `${CUT_MARK}\n${tail}` : tail;
}
