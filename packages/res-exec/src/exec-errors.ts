import { existsSync } from 'node:fs';
import { EngineError } from '@converge/engine-api';
import type { EngineErrorCode, Phase } from '@converge/engine-api';
import { stderrTail } from './text-tail.js';
import { StartFailure } from './cwd-as-user.js';

/** Where an error happened: the resource and the lifecycle step. */
export interface ErrorSite {
  readonly resource: string;
  readonly phase: Phase;
}

/** `message`, followed by the end of `stderr` (its last lines, capped in bytes). */
export function withStderr(message: string, stderr: string): string {
  const tail = stderrTail(stderr);
  return tail ? `${message}; last lines of stderr:\n${tail}` : `${message} (no stderr)`;
}

export function codeFor(phase: Phase): EngineErrorCode {
  if (phase === 'watch') return 'ERR_RESOURCE_WATCH';
  if (phase === 'init') return 'ERR_RESOURCE_INIT';
  if (phase === 'cleanup') return 'ERR_RESOURCE_CLEANUP';
  return 'ERR_RESOURCE_CHECK_APPLY';
}

/**
 * A command that never ran. `who` names the user and group it runs as
 * (`user nobody`), for a cwd that one may not enter (see cwd-as-user.ts).
 */
export function cannotStart(site: ErrorSite, role: string, command: string, cause: unknown, cwd?: string, who?: string): EngineError {
  const reason = (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
  const cwdRefused = cause instanceof StartFailure && cause.stage === 'cwd';
  // spawn says ENOENT both for a missing program and for a missing cwd: tell which.
  if ((reason === 'ENOENT' || cwdRefused) && cwd !== undefined && !existsSync(cwd)) {
    return new EngineError(codeFor(site.phase), `${role} ${command} could not be started: its cwd ${cwd} does not exist`, {
      ...site,
      cause,
      hint: 'create the directory first (e.g. with a file resource before this exec), or fix cwd',
      missing: true,
    });
  }
  if (cwdRefused) {
    return new EngineError(codeFor(site.phase), `${role} ${command} could not be started: ${who ?? 'its user'} cannot enter its cwd ${cwd ?? '?'}: ${cause.message}`, {
      ...site,
      cause,
      hint: `the cwd is entered as ${who ?? 'the user'}, as in mgmt: give it search (x) permission on ${cwd ?? 'the cwd'} and every folder above it, or choose a cwd it may enter`,
    });
  }
  return new EngineError(codeFor(site.phase), `${role} ${command} could not be started: ${reason}`, {
    ...site,
    cause,
    // A program not there (yet): a package another resource installs may bring it.
    ...(reason === 'ENOENT' ? { missing: true } : {}),
    hint:
      reason === 'ENOENT'
        ? 'check that the program exists; the environment is empty unless `env` sets PATH, so prefer absolute paths'
        : 'check the program’s permissions, cwd, user and group',
  });
}

/** `error`, told in a dry run as one the real run meets after it changed something (EngineError's wouldChange). */
export function afterChanges(error: EngineError): EngineError {
  const { code, message, resource, phase, hint, cause, missing } = error;
  return new EngineError(code, message, { resource, phase, hint, cause, missing, wouldChange: true });
}

export function exitedNonZero(site: ErrorSite, role: string, command: string, code: number, stderr: string): EngineError {
  return new EngineError(codeFor(site.phase), withStderr(`${role} ${command} exited with code ${code}`, stderr), {
    ...site,
    hint: `run the ${role} by hand to see why it fails`,
  });
}

export function killedBySignal(site: ErrorSite, role: string, command: string, signal: string, stderr: string): EngineError {
  return new EngineError(codeFor(site.phase), withStderr(`${role} ${command} was killed by ${signal}`, stderr), site);
}

/** How a command told to stop ended: killed, or by itself with `exitedWith` after the stop signal (its TERM trap). */
function howItEnded(exitedWith: number | undefined): string {
  return exitedWith === undefined ? '; its process group was killed' : `: it exited with code ${exitedWith} after the stop signal`;
}

/** `exitedWith`: as for `stopped`; the run fails either way, as it ran over its time. */
export function timedOut(site: ErrorSite, role: string, command: string, seconds: number, stderr: string, exitedWith?: number): EngineError {
  return new EngineError(
    'ERR_RESOURCE_TIMEOUT',
    withStderr(`${role} ${command} ran longer than its timeout of ${seconds}s${howItEnded(exitedWith)}`, stderr),
    { ...site, hint: 'raise `timeout`, or set it to 0 for no limit' },
  );
}

/** `exitedWith`: the code it ended with by itself after the stop signal (its TERM trap), where it was not killed. */
export function stopped(site: ErrorSite, role: string, command: string, reason: string, cause?: unknown, stderr = '', exitedWith?: number): EngineError {
  return new EngineError(codeFor(site.phase), withStderr(`${role} ${command} was stopped (${reason})${howItEnded(exitedWith)}`, stderr), {
    ...site,
    cause,
  });
}

/**
 * watchcmd printed more than `limit` bytes without a newline: its output is
 * not lines (binary, or a progress bar redrawn with \r), and each line is an
 * event. Its watch fails, as mgmt's does (bufio.Scanner: token too long).
 */
export function lineTooLong(site: ErrorSite, command: string, limit: number): EngineError {
  return new EngineError('ERR_RESOURCE_WATCH', `watchcmd ${command} printed a line longer than ${limit / 1024 / 1024} MiB on stdout; each line it prints is an event, so it must print lines`, {
    ...site,
    hint: 'make watchcmd print one line per change, each ending in a newline (pipe binary or \\r-separated output through a filter such as tr "\\r" "\\n"); the watch starts again as meta retry, delay and rewatch say',
  });
}
