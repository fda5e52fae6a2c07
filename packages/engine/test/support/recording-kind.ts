import { setTimeout as sleep } from 'node:timers/promises';
import { defineResource, Type, type AnyResourceDefinition, type ResourceContext } from '@converge/engine-api';

/** What happened, in order, across every resource of the recording kind. */
export interface Journal {
  events: string[];
  contexts: Map<string, ResourceContext>;
}

/**
 * A test kind whose behaviour is set by params: it records starts and ends
 * of checkApply, can sleep, fail a number of times, hang, change state, send
 * and watch for manual pokes.
 */
export function recordingKind(journal: Journal): AnyResourceDefinition {
  const failuresLeft = new Map<string, number>();
  return defineResource({
    kind: 'rec',
    params: Type.Object({
      sleepMs: Type.Optional(Type.Number()),
      failTimes: Type.Optional(Type.Number()),
      hang: Type.Optional(Type.Boolean()),
      changes: Type.Optional(Type.Boolean()),
      value: Type.Optional(Type.String()),
      sendValue: Type.Optional(Type.String()),
      watch: Type.Optional(Type.Boolean()),
      watchThrows: Type.Optional(Type.Boolean()),
    }),
    sends: Type.Object({ out: Type.String() }),
    refreshable: true,
    create(params) {
      let ctx: ResourceContext<typeof params, { out: string }> | undefined;
      let changed = false;
      const name = (): string => ctx?.name ?? '?';
      const base = {
        init(context: ResourceContext<typeof params, { out: string }>) {
          ctx = context;
          journal.contexts.set(context.name, context as unknown as ResourceContext);
          if (!failuresLeft.has(context.name)) failuresLeft.set(context.name, params.failTimes ?? 0);
        },
        async checkApply(apply: boolean, signal: AbortSignal) {
          journal.events.push(`start ${name()} apply=${apply} refresh=${ctx?.refresh()} value=${params.value}`);
          if (params.hang) await new Promise(() => undefined);
          if (params.sleepMs) await sleep(params.sleepMs, undefined, { signal });
          const left = failuresLeft.get(name()) ?? 0;
          if (left > 0) {
            failuresLeft.set(name(), left - 1);
            journal.events.push(`fail ${name()}`);
            throw new Error(`planned failure of ${name()}`);
          }
          if (params.sendValue !== undefined) ctx?.send({ out: params.sendValue });
          journal.events.push(`end ${name()}`);
          if (params.changes && !changed) {
            if (apply) changed = true;
            return false;
          }
          return true;
        },
      };
      if (!params.watch && !params.watchThrows) return base;
      return {
        ...base,
        async watch(signal: AbortSignal) {
          ctx?.event();
          if (params.watchThrows) {
            journal.events.push(`watch broke ${name()}`);
            throw new Error('watch broke');
          }
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      };
    },
  }) as unknown as AnyResourceDefinition;
}

export function newJournal(): Journal {
  return { events: [], contexts: new Map() };
}
