import type { AnyResourceDefinition, ReceivedValue } from '@converge/engine-api';
import { checkedResult, createInstance } from './plugin-returns.js';
import { callResource } from './resource-call.js';
import { EngineResourceContext } from './resource-context.js';
import type { StoredReversal } from './reversal-store.js';
import type { VertexEnv } from './vertex-env.js';

const REVERSAL_TIMEOUT_MS = 60_000;

/**
 * Puts back what a resource found before it first changed anything: a
 * one-off resource made from the stored reversal params, applied once and
 * cleaned up. `graphPeers`: the params of the same kind's resources in the
 * graph being run, whose paths the reversal must leave alone even before
 * they start. Throws the resource's error when that fails (the reversal is
 * then kept for another try). With `apply` false (noop) it only checks;
 * true when there was (or would be) nothing to put back.
 */
export async function applyReversal(
  reversal: StoredReversal,
  definition: AnyResourceDefinition,
  env: VertexEnv,
  graphPeers: readonly Readonly<Record<string, unknown>>[],
  apply = true,
): Promise<boolean> {
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
    const check = (): boolean | Promise<boolean> => checkedResult(instance.checkApply(apply, controller.signal), { id, kind: definition.kind });
    return await callResource(id, 'checkApply', check, REVERSAL_TIMEOUT_MS, controller);
  } finally {
    await callResource(id, 'cleanup', () => instance.cleanup?.()).catch(() => undefined);
  }
}
