import { EngineError } from '@converge/engine-api';
import type { EngineErrorCode, Phase } from '@converge/engine-api';

const CODES: Partial<Record<Phase, EngineErrorCode>> = {
  init: 'ERR_RESOURCE_INIT',
  watch: 'ERR_RESOURCE_WATCH',
  cleanup: 'ERR_RESOURCE_CLEANUP',
};

/** An error of the virt resource `resource` (`virt[name]`) in `phase`. */
export function virtError(resource: string, phase: Phase, message: string, options: { cause?: unknown; hint?: string } = {}): EngineError {
  const cause = options.cause instanceof Error ? `: ${options.cause.message}` : '';
  return new EngineError(CODES[phase] ?? 'ERR_RESOURCE_CHECK_APPLY', `${message}${cause}`, { resource, phase, ...options });
}

/** The same error, saying that a dry run would change things before it (EngineError.wouldChange, engine API 1.12). */
export function withWouldChange(error: EngineError): EngineError {
  if (error.wouldChange) return error;
  return new EngineError(error.code, error.message, {
    ...(error.resource === undefined ? {} : { resource: error.resource }),
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    ...(error.location === undefined ? {} : { location: error.location }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.members === undefined ? {} : { members: error.members }),
    ...(error.missing ? { missing: true } : {}),
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    wouldChange: true,
  });
}

export const BINDING_HINT =
  'build the libvirt binding: install libvirt-dev, allow its install script if your npm blocks it (`npm install-scripts approve @unraid/libvirt`), then run `npm rebuild @unraid/libvirt`; in converge\'s own repository `bash tools/ci/setup/40-virt.sh` does all of it';

/** A hint for a connection that failed: a missing binding or an unreachable daemon. */
export function connectHint(uri: string, cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/Cannot find module|Could not locate the bindings|libvirt\.node/i.test(message)) return BINDING_HINT;
  if (uri.startsWith('test:')) return 'check the test driver URI, e.g. test:///default';
  return `check that libvirtd runs and serves ${uri} (virsh -c ${uri} list)`;
}
