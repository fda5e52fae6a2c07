import type { AnyResourceDefinition, ReceivedValue } from '@converge/engine-api';
import { checkedResult, createInstance } from './plugin-returns.js';
import { callResource } from './resource-call.js';
import { EngineResourceContext } from './resource-context.js';
import type { StoredReversal } from './reversal-store.js';
import type { VertexEnv } from './vertex-env.js';

const REVERSAL_TIMEOUT_MS = 60_000;

type ReversalInstance = ReturnType<AnyResourceDefinition['create']>;

/**
 * A dry run's check of a reversal: in place already, or not, with what it
 * would do (undefined when its kind cannot describe it); `failure`: the
 * check failed (with `change` only when asked for, see checkReversal).
 */
export interface ReversalCheck {
  readonly inPlace: boolean;
  readonly change?: string | undefined;
  readonly failure?: unknown;
}

/**
 * Puts back what a resource found before it first changed anything: a
 * one-off resource made from the stored reversal params, applied once and
 * cleaned up. `graphPeers`: the params of the same kind's resources in the
 * graph being run, whose paths the reversal must leave alone even before
 * they start. Throws the resource's error when that fails (the reversal is
 * then kept for another try).
 */
export function applyReversal(
  reversal: StoredReversal,
  definition: AnyResourceDefinition,
  env: VertexEnv,
  graphPeers: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  return withReversalInstance(reversal, definition, env, graphPeers, async (instance, controller) => {
    const check = (): boolean | Promise<boolean> => checkedResult(instance.checkApply(true, controller.signal), { id: reversal.id, kind: definition.kind });
    await callResource(reversal.id, 'checkApply', check, REVERSAL_TIMEOUT_MS, controller);
  });
}

/**
 * A dry run of a reversal (noop changes nothing, reversals included): the
 * check, and what putting it back would do, as the kind's describeChange
 * says it of the reversal's params (a file's diff, `remove file …`), as for
 * a resource of the graph. `describeFailed`: a check that fails is described
 * all the same (a folder that would be empty once what is inside it is put
 * back first).
 */
export function checkReversal(
  reversal: StoredReversal,
  definition: AnyResourceDefinition,
  env: VertexEnv,
  graphPeers: readonly Readonly<Record<string, unknown>>[],
  describeFailed: boolean,
): Promise<ReversalCheck> {
  const id = reversal.id;
  return withReversalInstance(reversal, definition, env, graphPeers, async (instance, controller) => {
    const describe = async (): Promise<string | undefined> => {
      if (!instance.describeChange) return undefined;
      // A description that fails says so rather than fail the dry run.
      return callResource(id, 'checkApply', () => instance.describeChange?.(controller.signal), REVERSAL_TIMEOUT_MS, controller).catch(
        (error: unknown) => `(could not describe the change: ${(error as Error).message})`,
      );
    };
    try {
      const check = (): boolean | Promise<boolean> => checkedResult(instance.checkApply(false, controller.signal), { id, kind: definition.kind });
      const inPlace = await callResource(id, 'checkApply', check, REVERSAL_TIMEOUT_MS, controller);
      return inPlace ? { inPlace } : { inPlace, change: await describe() };
    } catch (failure) {
      return { inPlace: false, failure, ...(describeFailed ? { change: await describe() } : {}) };
    }
  });
}

/** A one-off instance of the reversal's params: init, `use`, cleanup. */
async function withReversalInstance<T>(
  reversal: StoredReversal,
  definition: AnyResourceDefinition,
  env: VertexEnv,
  graphPeers: readonly Readonly<Record<string, unknown>>[],
  use: (instance: ReturnType<AnyResourceDefinition['create']>, controller: AbortController) => Promise<T>,
): Promise<T> {
  const id = reversal.id;
  const instance = createInstance(definition, structuredClone(reversal.params), id);
  const noReceived: ReadonlyMap<string, ReceivedValue> = new Map();
  const ctx = new EngineResourceContext(
    {
      id,
      kind: reversal.kind,
      name: reversal.name,
      meta: { poll: 0 },
      watchEvent: () => undefined,
      watchWaitingFor: () => undefined,
      refreshPending: () => false,
      parentWouldChange: () => false,
      stageSend: () => undefined,
      received: () => noReceived,
      receivedParams: () => new Set(),
      graphPeers,
    },
    env,
  );
  const controller = new AbortController();
  try {
    await callResource(id, 'init', () => instance.init?.(ctx), REVERSAL_TIMEOUT_MS, controller);
    return await use(instance, controller);
  } finally {
    await callResource(id, 'cleanup', () => instance.cleanup?.()).catch(() => undefined);
  }
}
