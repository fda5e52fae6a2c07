import { isDeepStrictEqual } from 'node:util';
import type { AnyResourceDefinition, ReceivedValue } from '@converge/engine-api';
import { secretSendKeys, type SecretValues } from './secrets.js';

/** An edge into a vertex, as send/recv reads it: who sends, what it last sent, and under which key into which param. */
export interface ReceivingEdge {
  readonly from: { readonly id: string; readonly sent: Readonly<Record<string, unknown>> };
  readonly send?: string;
  readonly recv?: string;
}

export const NOTHING_RECEIVED: ReadonlyMap<string, ReceivedValue> = new Map();

/** What a vertex has sent before it sends anything: shared, as a send replaces the whole record. */
export const NOTHING_SENT: Readonly<Record<string, unknown>> = Object.freeze({});

/** No send keys, no received params: shared, as most vertices have none. */
export const NO_KEYS: ReadonlySet<string> = new Set();

/** Values a checkApply sends under its kind's secret keys are masked from now on. */
export function noteSentSecrets(definition: AnyResourceDefinition, values: Readonly<Record<string, unknown>>, secrets: SecretValues): void {
  const secret = secretSendKeys(definition);
  for (const key of secret) if (key in values) secrets.add(values[key]);
}

/** The send/recv edges among `parents` (sender, key, param), sorted: a graph swap that changes them replaces the vertex. */
export function receivesKeyOf(parents: readonly ReceivingEdge[]): string {
  const keys: string[] = [];
  for (let i = 0; i < parents.length; i++) {
    const edge = parents[i] as ReceivingEdge;
    if (edge.send !== undefined && edge.recv !== undefined) keys.push(receiveKey(edge.from.id, edge.send, edge.recv));
  }
  return keys.sort().join('\n');
}

/** One send/recv edge into a resource, as receivesKey lists them. */
export function receiveKey(from: string, send: string, recv: string): string {
  return `${from}\u0000${send}\u0000${recv}`;
}

/** The params the send/recv edges among `parents` fill. */
export function receivedParamsOf(parents: readonly ReceivingEdge[]): ReadonlySet<string> {
  // Asked by plugins at init: most vertices receive nothing and get the shared empty set.
  let params: Set<string> | undefined;
  for (let i = 0; i < parents.length; i++) {
    const edge = parents[i] as ReceivingEdge;
    if (edge.send !== undefined && edge.recv !== undefined) (params ??= new Set()).add(edge.recv);
  }
  return params ?? NO_KEYS;
}

/** Fills `params` from the send/recv edges among `parents`; returns the params received, noting which values changed. */
export function receiveInto(params: Record<string, unknown>, parents: readonly ReceivingEdge[]): ReadonlyMap<string, ReceivedValue> {
  let received: Map<string, ReceivedValue> | undefined;
  for (let i = 0; i < parents.length; i++) {
    const edge = parents[i] as ReceivingEdge;
    if (edge.send === undefined || edge.recv === undefined) continue;
    if (!(edge.send in edge.from.sent)) continue;
    const value = edge.from.sent[edge.send];
    const changed = !isDeepStrictEqual(params[edge.recv], value);
    params[edge.recv] = value;
    received ??= new Map();
    received.set(edge.recv, { changed });
  }
  return received ?? NOTHING_RECEIVED;
}
