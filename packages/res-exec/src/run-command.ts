import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputCapture } from './output-capture.js';
import { DEFAULT_KILL_GRACE_MS } from './process-group.js';
import type { CommandSpec, ExitStatus, ProcessGroup } from './process-group.js';
import type { StartFailure } from './cwd-as-user.js';

export interface RunOptions {
  /** Aborting stops the group (SIGTERM, then SIGKILL) and the run reports `stoppedBy: 'abort'`. */
  readonly signal?: AbortSignal;
  /** Milliseconds before the group is stopped and the run reports `stoppedBy: 'timeout'`; 0 = none. */
  readonly timeoutMs?: number;
  readonly graceMs?: number;
  /** Starts the group, so its owner can write it down, track and interrupt it (LiveGroups.start). */
  readonly start: (spec: CommandSpec) => Promise<ProcessGroup>;
}

export interface RunResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved in the order they were read (two pipes: not always the order they were written). */
  readonly output: string;
  /** True when the output was longer than res-exec keeps (MAX_CAPTURED_BYTES per stream): its start was dropped. */
  readonly truncated: boolean;
  /** Set when this run stopped the command itself rather than letting it finish. */
  readonly stoppedBy?: 'timeout' | 'abort';
  /** Set when the command never ran: its user could not enter its cwd, or run its program (see cwd-as-user.ts). */
  readonly startFailure?: StartFailure;
  readonly group: ProcessGroup;
}

/**
 * After the leader exits, how long its pipes may stay open: a background child
 * (`daemon &`) inherits them and would otherwise hold the run open forever.
 */
const PIPE_DRAIN_MS = 200;

/** Runs one command to its end and captures its output. */
export async function runCommand(spec: CommandSpec, options: RunOptions): Promise<RunResult> {
  options.signal?.throwIfAborted();
  const group = await options.start(spec);

  const stdout = new OutputCapture();
  const stderr = new OutputCapture();
  const output = new OutputCapture();
  group.child.stdout.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    output.push(chunk);
  });
  group.child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    output.push(chunk);
  });
  const pipesClosed = Promise.all([once(group.child.stdout, 'close'), once(group.child.stderr, 'close')]);

  let stoppedBy: RunResult['stoppedBy'];
  let stopping: Promise<void> | undefined;
  const stop = (reason: 'timeout' | 'abort') => {
    if (stopping) return;
    stoppedBy = reason;
    stopping = group.stop(options.graceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const onAbort = () => stop('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort(); // aborted while the command was starting
  const timer = options.timeoutMs ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;

  try {
    const status = await group.exited;
    const drainTimeout = new AbortController();
    const drained = await Promise.race([
      pipesClosed.then(() => true),
      sleep(PIPE_DRAIN_MS, false, { signal: drainTimeout.signal }).catch(() => false),
    ]);
    drainTimeout.abort();
    if (!drained) {
      group.child.stdout.destroy();
      group.child.stderr.destroy();
    }
    await stopping;
    const stderrText = stderr.text();
    return {
      ...status,
      stdout: stdout.text(),
      stderr: stderrText,
      output: output.text(),
      truncated: output.truncated,
      stoppedBy,
      startFailure: group.startFailure(status, stderrText),
      group,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
