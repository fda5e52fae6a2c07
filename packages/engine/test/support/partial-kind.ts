import { defineResource, EngineError, Type, type AnyResourceDefinition, type ResourceContext } from '@converge/engine-api';

/**
 * A groupable kind that says which members it changed (changedMembers):
 * members named `new…` change once (`done` is shared, so a replaced
 * resource does not change again), those named `bad…` fail.
 */
export function partialKind(done = new Set<string>()): AnyResourceDefinition {
  return defineResource({
    kind: 'partial',
    params: Type.Object({ item: Type.String() }),
    nameParam: 'item',
    groupable: { groupCmp: () => true },
    create(params) {
      let items = [params.item];
      let changed: number[] = [];
      let ctx: ResourceContext<{ item: string }> | undefined;
      return {
        init(context) {
          ctx = context;
        },
        group(members) {
          items = [params.item, ...members.map((member) => member.item)];
        },
        changedMembers: () => changed,
        describeChange: () => Promise.resolve(`make ${changed.map((position) => items[position]).join(', ')}`),
        checkApply(apply) {
          changed = items.flatMap((item, position) => (item.startsWith('new') && !done.has(item) ? [position] : []));
          // A line about the members it acts for, as res-pkg's 'packages changed' (engine API 1.15).
          if (changed.length > 0) ctx?.log.info(apply ? 'made' : 'would make', { members: changed, items: changed.map((position) => items[position]) });
          if (apply) changed.forEach((position) => done.add(items[position] ?? ''));
          const bad = items.flatMap((item, position) => (item.startsWith('bad') ? [position] : []));
          if (bad.length > 0) throw new EngineError('ERR_RESOURCE_CHECK_APPLY', 'unknown', { members: bad });
          return changed.length === 0;
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}
