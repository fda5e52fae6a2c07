/** Quiet time that ends a burst of events (see ChangeBurst). */
const QUIET_MS = 25;
/** A burst is told at the latest this long after its first event, however busy the path. */
const MAX_GATHER_MS = 250;

/**
 * One change of a file comes as a burst of events, and not always in one
 * read: a `touch` of a new file is its creation, then its times, from
 * separate system calls, and the first wakes this process before the next
 * is made. Each event would start cmd again. So a change is told once the
 * events have been quiet for QUIET_MS (and at the latest MAX_GATHER_MS
 * after the first): milliseconds, against a command run per event.
 */
export class ChangeBurst {
  /** When the burst of events being gathered began, and the timer that tells it. */
  private burstStarted = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly tell: () => void) {}

  /** An event: told with the others of its burst. */
  poke(): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.timer === undefined) this.burstStarted = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(QUIET_MS, this.burstStarted + MAX_GATHER_MS - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.tell();
    }, wait);
  }

  /** Nothing more is told, not even a burst being gathered. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
