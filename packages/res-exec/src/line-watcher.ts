import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineEvents } from './line-events.js';
import { OutputCapture } from './output-capture.js';
import type { CommandSpec, ExitStatus, ProcessGroup } from './process-group.js';
import type { StartFailure } from './cwd-as-user.js';
import { STDERR_TAIL_BYTES, stderrTail } from './text-tail.js';

/**
 * What of a watchcmd's stderr is kept: enough for the tail an error shows.
 * It runs for as long as the resource does, so it must not keep it all.
 */
const KEPT_STDERR_BYTES = 16 * STDERR_TAIL_BYTES;

/**
 * How long after its exit its stderr may still be read: 'exit' can come
 * before the last of it (env's message when the cwd was refused); a child
 * left holding the pipe must not hold the end back.
 */
const STDERR_DRAIN_MS = 200;

/** How a watchcmd's watch ended by itself. */
export type WatchEnd =
  /** It exited; `startFailure`: it never ran (its user could not enter its cwd or run its program). */
  | (ExitStatus & { readonly reason: 'exited'; readonly stderrTail: string; readonly startFailure?: StartFailure })
  /** It printed a line longer than `limit` bytes (it is left running: stop() ends it). */
  | { readonly reason: 'line too long'; readonly limit: number };

/**
 * Runs a long-lived command (mgmt's `watchcmd`) and calls `onLine` for the
 * non-empty lines it prints on stdout: for each, or, while a change told
 * waits for `changeTaken`, once per chunk of them (see LineEvents).
 * `ended` settles when the command exits by itself or prints a line too
 * long to be one; `stop()` ends it and everything it started.
 */
export class LineWatcher {
  readonly ended: Promise<WatchEnd>;
  private readonly lines: LineEvents;
  private stopped = false;

  private constructor(
    readonly spec: CommandSpec,
    readonly group: ProcessGroup,
    onLine: () => void,
  ) {
    this.lines = new LineEvents(group.child.stdout, () => {
      if (!this.stopped) onLine();
    });
    const tooLong = this.lines.tooLong.then((limit): WatchEnd => ({ reason: 'line too long', limit }));
    const stderr = new OutputCapture(KEPT_STDERR_BYTES);
    group.child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const stderrClosed = once(group.child.stderr, 'close').catch(() => undefined);
    const exited = group.exited.then(async (status): Promise<WatchEnd> => {
      await Promise.race([stderrClosed, sleep(STDERR_DRAIN_MS, undefined, { ref: false })]);
      return {
        ...status,
        reason: 'exited',
        stderrTail: stderrTail(stderr.text()),
        startFailure: group.startFailure(status, stderr.text()),
      };
    });
    this.ended = Promise.race([tooLong, exited]);
  }

  /** `start` starts its group, so its owner can write it down, track and interrupt it (LiveGroups.start). */
  static async start(spec: CommandSpec, onLine: () => void, start: (spec: CommandSpec) => Promise<ProcessGroup>): Promise<LineWatcher> {
    return new LineWatcher(spec, await start(spec), onLine);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** A check took the change told (it will run cmd for it): lines from now on are a new change. */
  changeTaken(): void {
    this.lines.taken();
  }

  /** Stops the command and its whole process group. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Read on (and told nothing) meanwhile: a command that flushes its output on SIGTERM is not held by a full pipe.
    await this.group.stop();
    this.lines.close();
    this.group.child.stdout.destroy();
    this.group.child.stderr.destroy();
  }
}
