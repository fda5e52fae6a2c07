import type { SourceLocation } from '@converge/engine-api';
import type { GraphWarning, ResolvedEdge } from './spec.js';

/** An edge as the file writes it: it always has a place. */
export type WrittenEdge = ResolvedEdge & { readonly location: SourceLocation };

/** One edge of the graph, and the written edges folded into it, in file order. */
interface Slot {
  edge: ResolvedEdge;
  readonly written: WrittenEdge[];
}

/**
 * The explicit edges, one per pair and send/recv key: a plain edge folds
 * into any edge of its pair, and a send/recv edge takes the place of a
 * plain one; the edge notifies if any of those folded into it asks. Each
 * fold is told as a warning at the edge that folds (QA: an edge without
 * notify after one with it became one notifying edge, with no word).
 * Several send/recv edges between two resources, each with its own key,
 * fold into nothing and stay as they are.
 */
export class MergedEdges {
  readonly #byPair = new Map<string, Slot[]>();
  readonly #warnings: GraphWarning[];

  constructor(warnings: GraphWarning[]) {
    this.#warnings = warnings;
  }

  add(edge: WrittenEdge): void {
    const pair = `${edge.from}\u0000${edge.to}`;
    const slots = this.#byPair.get(pair);
    if (!slots) {
      this.#byPair.set(pair, [{ edge, written: [edge] }]);
      return;
    }
    const slot =
      edge.send === undefined
        ? slots[0]
        : slots.find(({ edge: other }) => other.send === undefined || (other.send === edge.send && other.recv === edge.recv));
    if (slot === undefined) {
      slots.push({ edge, written: [edge] });
      return;
    }
    const keep = slot.edge.send === undefined && edge.send !== undefined ? edge : slot.edge;
    // Told against the same edge written before (notify too, if one was), if it was; else against the first of the slot (a plain edge and a send/recv one).
    const twins = slot.written.filter((other) => other.send === edge.send && other.recv === edge.recv);
    const earlier = twins.find((other) => other.notify === edge.notify) ?? twins[0] ?? slot.written[0] ?? edge;
    slot.written.push(edge);
    slot.edge = withNotifyOf(keep, slot.written);
    this.#warnings.push(foldWarning(earlier, edge, slot.edge.notify, twins.length + 1));
  }

  edges(): ResolvedEdge[] {
    return [...this.#byPair.values()].flat().map((slot) => slot.edge);
  }
}

/** `keep`, notifying if any of the edges folded into it asks, with where the first that asks wrote it if that is another edge. */
function withNotifyOf(keep: ResolvedEdge, written: readonly WrittenEdge[]): ResolvedEdge {
  const { notifyLocation: _, ...edge } = keep;
  const notifiedAt = written.find((other) => other.notify)?.location;
  if (notifiedAt === undefined) return { ...edge, notify: false };
  return notifiedAt === edge.location ? { ...edge, notify: true } : { ...edge, notify: true, notifyLocation: notifiedAt };
}

/** `listed twice` for the same edge again; otherwise which edge it merged with; and whether the one edge left notifies. */
function foldWarning(earlier: WrittenEdge, edge: WrittenEdge, notify: boolean, times: number): GraphWarning {
  const at = `${earlier.location.file}:${earlier.location.line}`;
  const result = notify ? 'one edge, which notifies' : 'one edge, which does not notify';
  const notifyDiffers = earlier.notify !== edge.notify;
  const warning = { location: edge.location, resource: `edge ${edge.from} -> ${edge.to}` };
  if (earlier.send === edge.send && earlier.recv === edge.recv) {
    const twice = times === 2;
    return notifyDiffers
      ? {
          ...warning,
          message: `${twice ? `listed twice (at ${at} and here), with notify: true in one only` : `listed ${times} times (first at ${at}), with notify: true in some only`}: merged into ${result}`,
          hint: twice ? 'remove the one not meant: the edge notifies if either asks' : 'remove the ones not meant: the edge notifies if any asks',
        }
      : {
          ...warning,
          message: `${twice ? `listed twice, the same both times (at ${at} and here)` : `listed ${times} times (this one as at ${at})`}: read as ${result}`,
          hint: twice ? 'remove one of them' : 'keep one of them',
        };
  }
  // One plain edge and one send/recv edge, which orders the two already.
  const differs = notifyDiffers ? ' (notify: true on one of the two only)' : '';
  const sender = earlier.send === undefined ? edge : earlier;
  const plain = earlier.send === undefined ? earlier : edge;
  const message =
    sender === edge
      ? `merged with the plain edge at ${at} between the same resources, which this send/recv edge orders already${differs}: ${result}`
      : `merged into the send/recv edge at ${at} (${earlier.send}→${earlier.recv}) between the same resources, which orders them already${differs}: ${result}`;
  return { ...warning, message, hint: `remove the plain edge${plain.notify && !sender.notify ? ' and write notify: true on the send/recv edge' : ''}` };
}
