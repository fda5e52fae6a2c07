import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputCapture } from './output-capture.js';
import { ProcessGroup } from './process-group.js';
import type { CommandSpec, ExitStatus } from './process-group.js';
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

/**
 * Runs a long-lived command (mgmt's `watchcmd`) and calls `onLine` for every
 * non-empty line it prints on stdout. `ended` settles when the command exits
 * by itself; `stop()` ends it and everything it started.
 */
export class LineWatcher {
  /** `startFailure`: it never ran (its user could not enter its cwd or run its program). */
  readonly ended: Promise<ExitStatus & { readonly stderrTail: string; readonly startFailure?: StartFailure }>;
  private stopped = false;

  private constructor(
    readonly spec: CommandSpec,
    readonly group: ProcessGroup,
    onLine: (line: string) => void,
  ) {
    createInterface({ input: group.child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      if (line.length > 0 && !this.stopped) onLine(line);
    });
    const stderr = new OutputCapture(KEPT_STDERR_BYTES);
    group.child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const stderrClosed = once(group.child.stderr, 'close').catch(() => undefined);
    this.ended = group.exited.then(async (status) => {
      await Promise.race([stderrClosed, sleep(STDERR_DRAIN_MS, undefined, { ref: false })]);
      return {
        ...status,
        stderrTail: stderrTail(stderr.text()),
        startFailure: group.startFailure(status, stderr.text()),
      };
    });
  }

  static async start(spec: CommandSpec, onLine: (line: string) => void): Promise<LineWatcher> {
    return new LineWatcher(spec, await ProcessGroup.start(spec), onLine);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Stops the command and its whole process group. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.group.stop();
    this.group.child.stdout.destroy();
    this.group.child.stderr.destroy();
  }
}
