import { MAX_CAPTURED_BYTES } from './output-capture.js';

/**
 * The longest line a watchcmd may print. A line's bytes are never kept
 * (see LineEnds), so this bounds no memory: it tells a watchcmd that does
 * not print lines at all (binary output, a progress bar redrawn with \r)
 * from one that prints long ones. mgmt's bufio.Scanner stops at 64 KiB;
 * the 16 MiB that cmd's output is capped at lets a monitor print a large
 * JSON document per line, and every watchcmd that works under mgmt works here.
 */
export const MAX_WATCH_LINE_BYTES = MAX_CAPTURED_BYTES;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** A line grew past the limit before it ended. */
export class LineTooLong extends Error {
  constructor(readonly limit: number) {
    super(`a line longer than ${limit} bytes`);
    this.name = 'LineTooLong';
  }
}

/**
 * Finds where the lines of a byte stream end, as mgmt's bufio.Scanner does
 * (a line ends at \n; a \r before it is not part of it), without keeping
 * them: a watchcmd's line is an event, its text is not read. Only the
 * length of the line not ended yet is kept, so a stream with no newline
 * costs no memory and is refused once that line passes the limit.
 */
export class LineEnds {
  /** Bytes of the line not ended yet. */
  private partialBytes = 0;
  /** Its last byte is \r (dropped if \n comes next). */
  private partialEndsInCR = false;

  constructor(private readonly maxLineBytes = MAX_WATCH_LINE_BYTES) {}

  /**
   * Reads a chunk; `onLine` is called for each non-empty line that ends in
   * it. Throws LineTooLong when a line is longer than the limit.
   */
  push(chunk: Buffer, onLine: () => void): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const bytes = this.partialBytes + end - start;
      const endsInCR = end > start ? chunk[end - 1] === CARRIAGE_RETURN : this.partialEndsInCR;
      this.partialBytes = 0;
      this.partialEndsInCR = false;
      start = end + 1;
      if (bytes > this.maxLineBytes + (endsInCR ? 1 : 0)) throw new LineTooLong(this.maxLineBytes);
      if (bytes > (endsInCR ? 1 : 0)) onLine();
    }
    if (start < chunk.length) {
      this.partialBytes += chunk.length - start;
      this.partialEndsInCR = chunk[chunk.length - 1] === CARRIAGE_RETURN;
    }
    // Not waiting for its end: a stream with no newline at all has none.
    if (this.partialBytes > this.maxLineBytes + (this.partialEndsInCR ? 1 : 0)) throw new LineTooLong(this.maxLineBytes);
  }

  /** The stream ended: a last line without a newline counts too. */
  end(onLine: () => void): void {
    if (this.partialBytes > (this.partialEndsInCR ? 1 : 0)) onLine();
    this.partialBytes = 0;
    this.partialEndsInCR = false;
  }
}
