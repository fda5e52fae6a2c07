import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from './command-line.js';
import type { Credentials } from './credentials.js';
import { launchOf, startFailure } from './cwd-as-user.js';
import type { Launch, StartFailure } from './cwd-as-user.js';
import { GROUP_TOKEN_VAR } from './group-token.js';

/** Everything needed to start one command. */
export interface CommandSpec {
  readonly argv: Argv;
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly credentials: Credentials;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How long a group gets between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2_000;
const POLL_MS = 20;
/** After SIGKILL a group is gone at once; this only bounds waiting on /proc. */
const AFTER_KILL_WAIT_MS = 1_000;

/**
 * A command started as the leader of its own process group (`detached`), so
 * that it and every child it forks can be signalled together, and so that a
 * signal sent to the engine's group (a ^C in a terminal) does not reach it.
 */
export class ProcessGroup {
  readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly child: ChildProcessByStdio<null, Readable, Readable>,
    readonly pgid: number,
    private readonly launch: Launch,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /**
   * Starts the command; rejects when it cannot be started at all (ENOENT,
   * EACCES, bad cwd). When its user's cwd is entered by env (see
   * cwd-as-user.ts), such a failure comes as an exit instead: `startFailure`.
   * `token` goes into its environment (see GroupLedger).
   */
  static async start(spec: CommandSpec, token?: string): Promise<ProcessGroup> {
    const launch = launchOf(spec.argv, spec.cwd, spec.credentials);
    const child = spawn(launch.file, [...launch.args], {
      cwd: launch.cwd,
      argv0: launch.argv0,
      env: token === undefined ? { ...spec.env } : { ...spec.env, [GROUP_TOKEN_VAR]: token },
      uid: spec.credentials.uid,
      gid: spec.credentials.gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    // A spawned child always has a pid; it is also the id of its new group.
    return new ProcessGroup(child, child.pid as number, launch);
  }

  /** Why the command never ran (its cwd or program refused to its user), from how it exited and its stderr; undefined when it ran. */
  startFailure(status: ExitStatus, stderr: string): StartFailure | undefined {
    return startFailure(this.launch, status.code, stderr);
  }

  /** True while any member of the group is still running (zombies do not count). */
  isAlive(): boolean {
    return liveMembers(this.pgid).length > 0;
  }

  /** Sends `signal` to every member of the group. */
  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pgid, signal);
    } catch (error) {
      // ESRCH: the group is already empty, which is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /**
   * Stops the whole group: SIGTERM, then SIGKILL to whatever is left after
   * `graceMs`. Resolves once no member is running.
   */
  async stop(graceMs = DEFAULT_KILL_GRACE_MS): Promise<void> {
    if (!this.isAlive()) return;
    this.signal('SIGTERM');
    if (await this.waitUntilEmpty(graceMs)) return;
    this.signal('SIGKILL');
    await this.waitUntilEmpty(AFTER_KILL_WAIT_MS);
  }

  /** Kills the whole group at once, with no grace. */
  kill(): void {
    this.signal('SIGKILL');
  }

  private async waitUntilEmpty(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.isAlive()) {
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
    return true;
  }
}

/**
 * The running (not zombie) processes of a process group, read from /proc.
 * `kill(-pgid, 0)` is not enough: orphans re-parented to an init that does not
 * reap them stay as zombies and would make a dead group look alive.
 */
export function liveMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** True when `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The process group of `pid`; undefined when it is gone. */
export function pgrpOf(pid: number): number | undefined {
  return readStat(pid)?.pgrp;
}

/** When `pid` started (clock ticks since boot, /proc/PID/stat field 22); undefined when it is gone. */
export function startTicksOf(pid: number): number | undefined {
  return readStat(pid)?.start;
}

function readStat(pid: number): { state: string; pgrp: number; start: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process ended while we looked
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  // Field 22 (starttime) is the 20th after the command name.
  const start = Number(fields[19]);
  return state === undefined ? undefined : { state, pgrp, start };
}
