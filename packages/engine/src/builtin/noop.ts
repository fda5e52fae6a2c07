import { defineResource, Type, type ResourceContext } from '@converge/engine-api';
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
    let ctx: ResourceContext<{ comment?: string }> | undefined;
    return {
      init(context: ResourceContext<{ comment?: string }>) {
        ctx = context;
      },
      group: () => undefined,
      checkApply: () => {
        // Told, as mgmt's noop tells it; a noop changes nothing, so it passes no refresh on.
        if (ctx?.refresh()) ctx.log.info('received a refresh (a noop changes nothing and passes it on to no one)');
        return true;
      },
    };
  },
});

export const builtinResources = [noopResource, kvResource] as const;
