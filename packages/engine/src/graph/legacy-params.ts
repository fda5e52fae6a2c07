import type { AnyResourceDefinition } from '@converge/engine-api';
import { resourceId, type GraphWarning, type ResourceSpec } from './spec.js';

/**
 * Params that graphs written for older mgmt releases carry, mgmt's own YAML
 * examples among them: `pollint` on any kind and `state: present` on exec.
 * mgmt loads them without a word; refused here, every such graph would fail
 * to load. They are read for what they meant, with a warning that says what
 * to write instead. Values that meant something else (or that clash with a
 * metaparam) are left in place, to be refused as unknown params with a hint.
 * A kind that declares a param of the same name is left alone.
 */
export function readLegacyParams(
  resource: ResourceSpec,
  definition: AnyResourceDefinition | undefined,
  warnings: GraphWarning[],
): ResourceSpec {
  const declared = (definition?.params.properties ?? {}) as Record<string, unknown>;
  const id = resourceId(resource.kind, resource.name);
  let params: Record<string, unknown> | undefined;
  let meta: Record<string, unknown> | undefined;
  let metaLocations: Map<string, ResourceSpec['location']> | undefined;
  const warn = (param: string, message: string, hint: string): void => {
    warnings.push({ location: resource.paramLocations.get(param) ?? resource.location, resource: id, message, hint });
  };
  const drop = (param: string): void => {
    params ??= { ...resource.params };
    delete params[param];
  };

  const pollint = resource.params['pollint'];
  if (pollint !== undefined && !Object.hasOwn(declared, 'pollint') && Number.isInteger(pollint) && (pollint as number) >= 0) {
    if (pollint === 0) {
      drop('pollint');
      warn('pollint', "ignored 'pollint: 0' (mgmt's old param; 0 meant watch, which is what happens)", 'remove it');
    } else if (!Object.hasOwn(resource.meta, 'poll')) {
      drop('pollint');
      meta = { ...resource.meta, poll: pollint };
      metaLocations = new Map(resource.metaLocations);
      metaLocations.set('poll', resource.paramLocations.get('pollint') ?? resource.location);
      warn('pollint', `read 'pollint: ${pollint}' as meta: {poll: ${pollint}} (mgmt's old param)`, `write meta: {poll: ${pollint}} instead`);
    }
  }

  const state = resource.params['state'];
  if (resource.kind === 'exec' && !Object.hasOwn(declared, 'state') && state === 'present') {
    drop('state');
    warn('state', "ignored 'state: present' (mgmt's old exec param; an exec has no state)", 'remove it');
  }

  if (!params && !meta) return resource;
  return {
    ...resource,
    params: params ?? resource.params,
    meta: meta ?? resource.meta,
    metaLocations: metaLocations ?? resource.metaLocations,
  };
}
