import { EngineError } from '@converge/engine-api';
import type { EngineErrorCode, Phase } from '@converge/engine-api';

/** Where an error happened: the resource (`file[name]`) and the lifecycle step. */
export interface ErrorSite {
  readonly resource: string;
  readonly phase: Phase;
}

function codeFor(phase: Phase): EngineErrorCode {
  if (phase === 'watch') return 'ERR_RESOURCE_WATCH';
  if (phase === 'init') return 'ERR_RESOURCE_INIT';
  if (phase === 'cleanup') return 'ERR_RESOURCE_CLEANUP';
  return 'ERR_RESOURCE_CHECK_APPLY';
}

/** An error of this resource at `site`, with what the user can do about it. */
export function fileError(site: ErrorSite, message: string, hint?: string, cause?: unknown, missing = false): EngineError {
  return new EngineError(codeFor(site.phase), message, {
    ...site,
    ...(hint === undefined ? {} : { hint }),
    ...(cause === undefined ? {} : { cause }),
    // The folder to hold the path is not there (yet): a resource this one depends on may make it (see EngineError's missing).
    ...(missing ? { missing } : {}),
  });
}

/** The errno code of a Node file-system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error says nothing is at the path (or a component of it is no folder). */
export function isMissingPath(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A problem with what the params name (a fragment or source of the wrong
 * kind), found where the resource's name and phase are not known: it says
 * what to do, and the resource reports it as its own error with that hint.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'InputError';
  }
}
