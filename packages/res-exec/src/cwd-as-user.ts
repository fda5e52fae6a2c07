import { randomBytes } from 'node:crypto';
import type { Argv } from './command-line.js';
import type { Credentials } from './credentials.js';

/**
 * Entering a command's cwd as its user, not as the engine's (root).
 *
 * Node (libuv) starts a child with chdir(cwd) before setgid/setuid, so a
 * command run as `nobody` in a folder only root may enter got in (QA: `pwd`
 * printed it, then `cat f` there was refused), where mgmt (Go's os/exec
 * switches credentials first) fails at the chdir. With a user or group and
 * a cwd, the command is therefore started through coreutils' env, which
 * changes into cwd once the switch is done, then execs the program in the
 * same process (same pid, same process group, same environment: env adds
 * nothing to it), looked up in the command's PATH as spawn does.
 */
const ENV = '/usr/bin/env';

/**
 * env's argv[0]: it starts env's own error messages, which tells them from
 * the command's. Random per engine, so a command's own stderr cannot pass
 * for one (it is gone from the process once env has exec'd the command).
 */
const ENV_NAME = `converge-cwd-${randomBytes(6).toString('hex')}`;

/** env's exit codes (coreutils): its own failure (here only the chdir can fail), a program it cannot run, one not found. */
const ENV_FAILED = 125;
const CANNOT_RUN = 126;
const NOT_FOUND = 127;

/** What spawn is given for a command. */
export interface Launch {
  readonly file: string;
  readonly args: readonly string[];
  /** Set when spawn itself enters it (no user switch, or no cwd). */
  readonly cwd?: string;
  readonly argv0?: string;
  /** True when env enters cwd: its failures come as an exit, read by `startFailure`. */
  readonly throughEnv: boolean;
}

export function launchOf(argv: Argv, cwd: string | undefined, credentials: Credentials): Launch {
  const switching = credentials.uid !== undefined || credentials.gid !== undefined;
  if (!switching || cwd === undefined) return { file: argv.file, args: argv.args, cwd, throughEnv: false };
  // env takes every leading word with a `=` as a variable to set, even after
  // `--`: such a program would not be run (and env alone prints the whole environment).
  if (argv.file.includes('=')) {
    throw new StartFailure('program', undefined, `a program whose name holds "=" (${argv.file}) cannot be run as another user in a cwd: env, which enters the cwd as that user, would read it as a variable; run it through \`shell\``);
  }
  return { file: ENV, args: [`--chdir=${cwd}`, '--', argv.file, ...argv.args], argv0: ENV_NAME, throughEnv: true };
}

/** A command that never ran: its cwd could not be entered, or its program could not be run. */
export class StartFailure extends Error {
  constructor(
    readonly stage: 'cwd' | 'program',
    /** The errno name (EACCES) when known; env prints the system's text, which may be in another language. */
    readonly code: string | undefined,
    /** What the system said: `Permission denied`. */
    readonly detail: string,
  ) {
    super(code === undefined ? detail : `${code} (${detail})`);
    this.name = 'StartFailure';
  }
}

/**
 * Why a command started through env never ran, read from how env exited;
 * undefined when the command ran (whatever it exited with). Only env's own
 * messages start with ENV_NAME, so a command exiting 125-127 is not taken for one.
 */
export function startFailure(launch: Launch, code: number | null, stderr: string): StartFailure | undefined {
  if (!launch.throughEnv || (code !== ENV_FAILED && code !== CANNOT_RUN && code !== NOT_FOUND)) return undefined;
  const prefix = `${ENV_NAME}: `;
  // env says one line, and nothing else ran.
  const message = stderr.slice(prefix.length).trimEnd();
  if (!stderr.startsWith(prefix) || message.includes('\n')) return undefined;
  // `cannot change directory to '/x': Permission denied`: the system's text comes last.
  const detail = message.slice(message.lastIndexOf(': ') + 2);
  const errno = ERRNO_OF_TEXT.get(detail) ?? (code === NOT_FOUND ? 'ENOENT' : undefined);
  return new StartFailure(code === ENV_FAILED ? 'cwd' : 'program', errno, detail);
}

/** glibc's texts (C locale) for what chdir and execve fail with. */
const ERRNO_OF_TEXT = new Map([
  ['Permission denied', 'EACCES'],
  ['No such file or directory', 'ENOENT'],
  ['Not a directory', 'ENOTDIR'],
  ['Too many levels of symbolic links', 'ELOOP'],
  ['File name too long', 'ENAMETOOLONG'],
  ['Exec format error', 'ENOEXEC'],
  ['Text file busy', 'ETXTBSY'],
  ['Operation not permitted', 'EPERM'],
  ['Input/output error', 'EIO'],
  ['Argument list too long', 'E2BIG'],
  ['Cannot allocate memory', 'ENOMEM'],
]);
