import { EngineError, type AnyResourceDefinition, type SourceLocation } from '@converge/engine-api';
import type { TSchema } from '@sinclair/typebox';
import { didYouMean, unknownNameHint } from './did-you-mean.js';
import { describeSchema } from './schema-describe.js';
import { isAssignable } from './send-recv-types.js';
import { unknownEndHint } from './edge-end-hint.js';
import { MergedEdges } from './edge-merge.js';
import { resourceId, type EdgeSpec, type GraphWarning, type ResolvedEdge, type ResourceSpec } from './spec.js';

function edgeLabel(edge: EdgeSpec): string {
  return edge.name ? `edge '${edge.name}'` : 'edge';
}

function edgeError(code: 'ERR_UNKNOWN_RESOURCE' | 'ERR_SELF_EDGE' | 'ERR_SEND_RECV', message: string, location: SourceLocation, hint?: string, resource?: string): EngineError {
  return new EngineError(code, message, { phase: 'validate', location, ...(hint ? { hint } : {}), ...(resource ? { resource } : {}) });
}

function describeLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** Params each resource receives through send/recv edges, by resource id (edges as written). */
export function receivedParams(edges: readonly EdgeSpec[]): Map<string, Set<string>> {
  const received = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.send === undefined || edge.recv === undefined) continue;
    const id = resourceId(edge.to.kind, edge.to.name);
    const params = received.get(id) ?? new Set<string>();
    params.add(edge.recv);
    received.set(id, params);
  }
  return received;
}

/**
 * Checks the explicit edges: both ends exist, no self-edges, send/recv
 * complete and type-compatible, no param received twice. Duplicates between
 * the same pair merge (notify ORed), each with a warning; a pair keeps one
 * edge per distinct send/recv (see MergedEdges). `kinds` holds the kinds that
 * resolved; send/recv on others is not checked (their kind already has a
 * problem).
 */
export function resolveEdges(
  edges: readonly EdgeSpec[],
  resourceKinds: ReadonlyMap<string, string>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  problems: EngineError[],
  written: ReadonlyMap<string, ResourceSpec>,
  warnings: GraphWarning[],
): ResolvedEdge[] {
  const merged = new MergedEdges(warnings);
  const receivers = new Map<string, EdgeSpec>();
  for (const edge of edges) {
    const from = resourceId(edge.from.kind, edge.from.name);
    const to = resourceId(edge.to.kind, edge.to.name);
    let ok = true;
    for (const [end, endSpec] of [[from, edge.from], [to, edge.to]] as const) {
      if (resourceKinds.has(end)) continue;
      ok = false;
      problems.push(edgeError('ERR_UNKNOWN_RESOURCE', `${edgeLabel(edge)} refers to ${end}, which is not in the graph`, edge.location,
        unknownEndHint(endSpec.kind, endSpec.name, kinds.get(endSpec.kind)?.nameParam, written.values(), resourceKinds.keys())));
    }
    if (!ok) continue;
    if (from === to) {
      problems.push(edgeError('ERR_SELF_EDGE', `${edgeLabel(edge)} goes from ${from} to itself`, edge.location, 'remove the edge', from));
      continue;
    }
    // An edge whose send/recv is wrong still orders its two ends: kept as a
    // plain edge, so that a cycle through it is found in the same load
    // (the graph does not run: there are problems).
    const orderOnly = (): void => merged.add({ from, to, notify: edge.notify, origin: 'explicit', location: edge.location });
    if ((edge.send === undefined) !== (edge.recv === undefined)) {
      const missing = edge.send === undefined ? 'send' : 'recv';
      problems.push(edgeError('ERR_SEND_RECV', `${edgeLabel(edge)} has '${missing === 'send' ? 'recv' : 'send'}' but no '${missing}'`, edge.location,
        'send/recv edges name both the sender\'s key (`send: KEY`) and the receiver\'s param (`recv: PARAM`)'));
      orderOnly();
      continue;
    }
    if (edge.send !== undefined && edge.recv !== undefined) {
      const receiver = `${to}.${edge.recv}`;
      const earlier = receivers.get(receiver);
      const sameEdge = earlier !== undefined && resourceId(earlier.from.kind, earlier.from.name) === from && earlier.send === edge.send;
      if (earlier && !sameEdge) {
        problems.push(edgeError('ERR_SEND_RECV', `param '${edge.recv}' of ${to} is received by two edges (the other at ${describeLocation(earlier.location)})`,
          edge.location, 'a param can be filled by one sender only', to));
        // Its own send key and types are told in the same load too.
        checkSendRecv(edge, from, to, kinds, problems);
        orderOnly();
        continue;
      }
      if (!earlier) {
        receivers.set(receiver, edge);
        if (!checkSendRecv(edge, from, to, kinds, problems)) {
          orderOnly();
          continue;
        }
      }
    }
    merged.add({ from, to, notify: edge.notify, ...(edge.send === undefined ? {} : { send: edge.send, recv: edge.recv as string }), origin: 'explicit', location: edge.location });
  }
  return merged.edges();
}

function checkSendRecv(edge: EdgeSpec, from: string, to: string, kinds: ReadonlyMap<string, AnyResourceDefinition>, problems: EngineError[]): boolean {
  const sender = kinds.get(edge.from.kind);
  const receiver = kinds.get(edge.to.kind);
  if (!sender || !receiver) return false;
  const send = edge.send as string;
  const recv = edge.recv as string;
  const sends = (sender.sends?.properties ?? {}) as Record<string, TSchema>;
  const params = (receiver.params.properties ?? {}) as Record<string, TSchema>;
  const sendSchema = Object.hasOwn(sends, send) ? sends[send] : undefined;
  const recvSchema = Object.hasOwn(params, recv) ? params[recv] : undefined;
  if (!sendSchema) {
    problems.push(edgeError('ERR_SEND_RECV', `kind '${sender.kind}' does not send '${send}'`, edge.location,
      unknownNameHint(send, Object.keys(sends), `send keys of '${sender.kind}'`), from));
  }
  if (!recvSchema) {
    problems.push(edgeError('ERR_SEND_RECV', `kind '${receiver.kind}' has no param '${recv}' to receive into`, edge.location,
      unknownNameHint(recv, Object.keys(params), `params of '${receiver.kind}'`), to));
  }
  if (!sendSchema || !recvSchema) return false;
  if (isAssignable(sendSchema, recvSchema)) return true;
  problems.push(edgeError('ERR_SEND_RECV',
    `${from} sends '${send}' as ${describeSchema(sendSchema)}, which does not fit param '${recv}' of ${to} (${describeSchema(recvSchema)})`,
    edge.location, 'receive into a param of a compatible type', to));
  return false;
}
