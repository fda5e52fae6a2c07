import { defineResource, Type } from '@converge/engine-api';
import { kvResource } from './kv.js';

/**
 * The built-in `noop` kind: always converged, changes nothing. Useful as a
 * synchronisation point in a graph (edges into and out of it) and for
 * measuring the engine itself.
 */
export const noopResource = defineResource({
  kind: 'noop',
  description: 'Does nothing; always converged. A synchronisation point for edges.',
  params: Type.Object({
    comment: Type.Optional(Type.String({ description: 'Free text, shown in status output.' })),
  }),
  refreshable: true,
  // Noops group with each other: a group is as converged as its parent.
  groupable: { groupCmp: () => true },
  create() {
    return {
      group: () => undefined,
      checkApply: () => true,
    };
  },
});

export const builtinResources = [noopResource, kvResource] as const;
