import { createInterface } from 'node:readline';
import { OutputCapture } from './output-capture.js';
import { ProcessGroup } from './process-group.js';
import type { CommandSpec, ExitStatus } from './process-group.js';
import { STDERR_TAIL_BYTES, stderrTail } from './text-tail.js';

/**
 * What of a watchcmd's stderr is kept: enough for the tail an error shows.
 * It runs for as long as the resource does, so it must not keep it all.
 */
const KEPT_STDERR_BYTES = 16 * STDERR_TAIL_BYTES;

/**
 * Runs a long-lived command (mgmt's `watchcmd`) and calls `onLine` for every
 * non-empty line it prints on stdout. `ended` settles when the command exits
 * by itself; `stop()` ends it and everything it started.
 */
export class LineWatcher {
  readonly ended: Promise<ExitStatus & { readonly stderrTail: string }>;
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
    this.ended = group.exited.then((status) => ({ ...status, stderrTail: stderrTail(stderr.text()) }));
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
