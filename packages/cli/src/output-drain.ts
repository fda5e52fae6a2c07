import type { Writable } from 'node:stream';

/**
 * Writes to stdout and stderr are not synchronous when they are a pipe whose
 * reader is slower than converge (`| jq`, `| tee`, a CI log collector): once
 * the kernel's 64 KiB pipe buffer is full, Node keeps the rest in memory and
 * hands it over as the reader takes it. `process.exit()` then would drop
 * whatever is still held, and the command would end with its usual exit code
 * and its output cut short (QA: `graph --format json big.yaml | (sleep 1; wc
 * -c)` got 65536 bytes, and a run's summary was lost).
 *
 * So converge waits until both streams have handed everything over, then
 * exits at once with the command's code: not by letting the event loop end,
 * in whose last milliseconds Node gives SIGINT and SIGTERM their default
 * action back (a stop signal then killed a finished run with 130).
 *
 * It waits as long as the reader keeps taking output; a reader that takes
 * nothing at all for STALL_LIMIT_MS (one that never reads, a hung collector)
 * is given up on, so converge never hangs for good. A stream whose reader has
 * gone is destroyed (closed-output.ts) and holds nothing to wait for.
 */

/** How long a reader may take nothing before converge exits without the rest of its output (as the reloader waits for a graph's writer). */
export const STALL_LIMIT_MS = 60_000;

/** How often the streams are looked at; short beside any exit, long beside a write. */
const POLL_MS = 10;

/** Where libuv keeps a pipe's pending bytes: undocumented, so only a hint of progress when present. */
interface WithHandle {
  readonly _handle?: { readonly writeQueueSize?: unknown } | null;
}

/** What a stream still holds for its reader: bytes of writes not wholly taken (none once the reader has gone), and libuv's count of them. */
function held(stream: Writable): { readonly writes: number; readonly queued: number } {
  if (stream.destroyed) return { writes: 0, queued: 0 };
  // Node counts a write as held until all of it is taken, and writes what piled up behind it as one:
  // a reader taking a few KiB at a time shows only in libuv's queue, which shrinks as it goes.
  const queued = (stream as WithHandle)._handle?.writeQueueSize;
  return { writes: stream.writableLength, queued: typeof queued === 'number' ? queued : 0 };
}

/**
 * Resolves with the streams whose reader took nothing for `stallLimitMs`
 * (none once everything was taken). Output written meanwhile is waited for too.
 */
export function drainOutput(streams: readonly Writable[], stallLimitMs = STALL_LIMIT_MS): Promise<Writable[]> {
  return new Promise((resolve) => {
    const lastTaken = new Map(streams.map((stream) => [stream, { ...held(stream), at: Date.now() }]));
    const look = (): boolean => {
      const now = Date.now();
      const stalled: Writable[] = [];
      let waiting = false;
      for (const [stream, last] of lastTaken) {
        const holds = held(stream);
        if (holds.writes === 0) continue;
        // Any change is progress (or more output, which is waited for as well).
        const since = holds.writes === last.writes && holds.queued === last.queued ? last.at : now;
        lastTaken.set(stream, { ...holds, at: since });
        if (now - since >= stallLimitMs) stalled.push(stream);
        else waiting = true;
      }
      if (waiting) return false;
      resolve(stalled);
      return true;
    };
    if (look()) return;
    const timer = setInterval(() => {
      if (look()) clearInterval(timer);
    }, POLL_MS);
  });
}

/**
 * Exits with `code` once stdout and stderr have handed their output to their
 * readers (see above). `say` tells a line as the command's (`converge: …`, or
 * a JSON line with --log-json).
 */
export async function exitOnceOutputIsTaken(code: number, say: (message: string) => void | Promise<void>): Promise<never> {
  const stalled = await drainOutput([process.stdout, process.stderr]);
  // Said where it can still be read: on stderr when only stdout's reader stalled.
  if (stalled.length === 1 && stalled[0] === process.stdout) {
    await say(`the reader of stdout took nothing for ${STALL_LIMIT_MS / 1000} s: exiting without the rest of the output`);
  }
  process.exit(code);
}
