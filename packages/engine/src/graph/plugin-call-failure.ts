import { EngineError } from '@converge/engine-api';
import type { ResolvedResource } from './spec.js';

/** A kind's own code threw while the graph was checked: what to say, naming the plugin as the one at fault. */
export function pluginCallFailure(kind: string, what: string, error: unknown): { message: string; hint: string } {
  return {
    message: `the ${what} of kind '${kind}' failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: `a bug in the plugin that provides '${kind}': tell its authors`,
  };
}

/** The same as a problem of the graph at the resource (input error: nothing runs). */
export function pluginCallError(resource: ResolvedResource, what: string, error: unknown, workaround?: string): EngineError {
  const { message, hint } = pluginCallFailure(resource.kind, what, error);
  return new EngineError('ERR_PLUGIN_INVALID', message, {
    resource: resource.id,
    phase: 'validate',
    ...(resource.location ? { location: resource.location } : {}),
    hint: workaround === undefined ? hint : `${hint}; meanwhile ${workaround}`,
    cause: error,
  });
}
