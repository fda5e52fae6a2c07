import type { Readable } from 'node:stream';
import { LineEnds, LineTooLong } from './line-ends.js';

/**
 * How long reading pauses once lines came while a change told waited for
 * a check. As long as a busy watched path's burst may last (ChangeBurst):
 * a watchcmd that prints without end makes cmd run at most about 4 times
 * a second too, where resuming at once would run it back to back, and in
 * Node starting a process holds the engine's only thread for milliseconds
 * (tens on a loaded machine), which every other resource waits out.
 */
const HOLD_BACK_MS = 250;

/**
 * Turns the lines of a watchcmd's stdout into changes, with backpressure,
 * as mgmt's reader, which blocks on an unbuffered channel, slows its
 * writer. A line is told at once when no change told waits for a check.
 * Lines that come while one waits are one change more per chunk, whatever
 * their number, and reading pauses for HOLD_BACK_MS: the pipe fills and the
 * writer blocks, so `yes` costs a chunk now and then, not the engine's
 * whole CPU (QA: another resource's repairs took seconds). No line is lost:
 * once a check took the change (`taken`), the next line read is told again.
 */
export class LineEvents {
  /** Resolves with the limit once a line passes it; nothing is read after that. */
  readonly tooLong: Promise<number>;
  /** A change was told and no check has taken it yet. */
  private pending = false;
  private closed = false;
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Readable,
    private readonly tell: () => void,
    lines = new LineEnds(),
  ) {
    this.tooLong = new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        let more = false;
        try {
          lines.push(chunk, () => {
            if (this.pending) more = true;
            else this.told();
          });
        } catch (error) {
          if (!(error instanceof LineTooLong)) throw error;
          this.close();
          resolve(error.limit);
          return;
        }
        if (more) {
          this.tell();
          this.holdBack();
        }
      });
    });
    stream.once('end', () => {
      if (!this.closed) lines.end(() => this.told());
    });
  }

  /** A check took the change told: the next line read is a new change. */
  taken(): void {
    this.pending = false;
  }

  /** Nothing more is read or told. */
  close(): void {
    this.closed = true;
    clearTimeout(this.resumeTimer);
    this.stream.removeAllListeners('data');
    this.stream.pause();
  }

  private told(): void {
    this.pending = true;
    this.tell();
  }

  private holdBack(): void {
    if (this.closed) return;
    this.stream.pause();
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      if (!this.closed) this.stream.resume();
    }, HOLD_BACK_MS);
    this.resumeTimer.unref();
  }
}
