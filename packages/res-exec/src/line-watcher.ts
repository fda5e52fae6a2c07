import { createInterface } from 'node:readline';
import { ProcessGroup } from './process-group.js';
import type { CommandSpec, ExitStatus } from './process-group.js';

/** How many trailing stderr lines of a command are kept for error messages. */
export const STDERR_TAIL_LINES = 20;

/**
 * Runs a long-lived command (mgmt's `watchcmd`) and calls `onLine` for every
 * non-empty line it prints on stdout. `ended` settles when the command exits
 * by itself; `stop()` ends it and everything it started.
 */
export class LineWatcher {
  readonly ended: Promise<ExitStatus & { readonly stderrTail: string }>;
  private stopped = false;

  private constructor(private readonly group: ProcessGroup, onLine: (line: string) => void) {
    const tail: string[] = [];
    createInterface({ input: group.child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      if (line.length > 0 && !this.stopped) onLine(line);
    });
    createInterface({ input: group.child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    });
    this.ended = group.exited.then((status) => ({ ...status, stderrTail: tail.join('\n') }));
  }

  static async start(spec: CommandSpec, onLine: (line: string) => void): Promise<LineWatcher> {
    return new LineWatcher(await ProcessGroup.start(spec), onLine);
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
