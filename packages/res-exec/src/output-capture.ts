/**
 * How much of a command's output is kept, per stream: the last bytes. A
 * command that prints gigabytes would otherwise hold them all in memory
 * (three times: stdout, stderr and both interleaved), and past about
 * 512 MiB Node cannot even make a string of them.
 */
export const MAX_CAPTURED_BYTES = 16 * 1024 * 1024;

/** The last `limit` bytes written to it, and whether anything before them was dropped. */
export class OutputCapture {
  #chunks: Buffer[] = [];
  #bytes = 0;
  #dropped = false;

  constructor(private readonly limit = MAX_CAPTURED_BYTES) {}

  /** True when the start of the output was dropped to stay within the limit. */
  get truncated(): boolean {
    return this.#dropped;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes > this.limit) {
      const first = this.#chunks[0] as Buffer;
      const excess = this.#bytes - this.limit;
      this.#dropped = true;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#bytes -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#bytes -= excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}
