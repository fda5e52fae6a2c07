import { EngineError } from '@converge/engine-api';
import type { EngineErrorCode, Phase } from '@converge/engine-api';
import { STDERR_TAIL_LINES } from './line-watcher.js';

/** Where an error happened: the resource and the lifecycle step. */
export interface ErrorSite {
  readonly resource: string;
  readonly phase: Phase;
}

/** The last lines of a command's stderr, for an error message. */
export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

function withStderr(message: string, stderr: string): string {
  const tail = stderrTail(stderr);
  return tail ? `${message}; last lines of stderr:\n${tail}` : `${message} (no stderr)`;
}

function codeFor(phase: Phase): EngineErrorCode {
  if (phase === 'watch') return 'ERR_RESOURCE_WATCH';
  if (phase === 'init') return 'ERR_RESOURCE_INIT';
  if (phase === 'cleanup') return 'ERR_RESOURCE_CLEANUP';
  return 'ERR_RESOURCE_CHECK_APPLY';
}

export function cannotStart(site: ErrorSite, role: string, command: string, cause: unknown): EngineError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return new EngineError(codeFor(site.phase), `${role} ${command} could not be started: ${reason}`, {
    ...site,
    cause,
    hint:
      reason === 'ENOENT'
        ? 'check that the program (and cwd) exist; the environment is empty unless `env` sets PATH, so prefer absolute paths'
        : 'check the program’s permissions, cwd, user and group',
  });
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

export function timedOut(site: ErrorSite, role: string, command: string, seconds: number, stderr: string): EngineError {
  return new EngineError(
    'ERR_RESOURCE_TIMEOUT',
    withStderr(`${role} ${command} ran longer than its timeout of ${seconds}s; its process group was killed`, stderr),
    { ...site, hint: 'raise `timeout`, or set it to 0 for no limit' },
  );
}

export function stopped(site: ErrorSite, role: string, command: string, reason: string, cause?: unknown): EngineError {
  return new EngineError(codeFor(site.phase), `${role} ${command} was stopped (${reason}); its process group was killed`, {
    ...site,
    cause,
  });
}
