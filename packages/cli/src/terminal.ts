/**
 * Shares stderr between log lines and the live status line: a log line first
 * clears the status line, is written, and the status line is drawn again
 * below it, so neither overwrites the other.
 */
export class Terminal {
  readonly #stream: NodeJS.WritableStream;
  #status = '';

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  /** Writes text that ends with a newline (a log line, a message). */
  write(text: string): void {
    // A stream whose reader went away is destroyed (see closed-output.ts): nothing to draw on.
    if (!this.#stream.writable) return;
    if (this.#status === '') {
      this.#stream.write(text);
      return;
    }
    this.#stream.write(`\r\x1b[2K${text}${this.#status}`);
  }

  /** Replaces the live status line (no newline); '' removes it. */
  setStatus(line: string): void {
    if (line === this.#status || !this.#stream.writable) return;
    const clear = this.#status === '' ? '' : '\r\x1b[2K';
    this.#status = line;
    this.#stream.write(`${clear}${line}`);
  }
}
