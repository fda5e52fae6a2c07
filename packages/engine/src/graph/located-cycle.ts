import { EngineError, type SourceLocation } from '@converge/engine-api';
import type { ResolvedEdge, ResolvedGraph } from './spec.js';
import { cyclePath } from './toposort.js';

/** Links of a cycle named in its message, at most, of each sort (autoedges, other edges written). */
const LINKS_SHOWN = 6;

/**
 * A cycle that autoedges close, told where the user can change it: at the
 * first edge of it written in a file (QA: it was told at a resource's line,
 * while the hint said to change an edge), with each autoedge of it named
 * (they are in no file) and the other written edges by their lines.
 */
export function locatedCycle(graph: ResolvedGraph, edges: readonly ResolvedEdge[], cycle: readonly string[]): EngineError {
  // One lookup per step: a search of every edge per step took seconds on a cycle of 10,000 (QA).
  const cycleEdges = new Map<string, ResolvedEdge>();
  const onCycle = new Set(cycle);
  for (const edge of edges) if (onCycle.has(edge.from) && onCycle.has(edge.to)) cycleEdges.set(`${edge.from}\0${edge.to}`, edge);
  const automatic: ResolvedEdge[] = [];
  const written: SourceLocation[] = [];
  cycle.forEach((id, index) => {
    const next = cycle[index + 1];
    const edge = next === undefined ? undefined : cycleEdges.get(`${id}\0${next}`);
    if (edge?.origin === 'auto') automatic.push(edge);
    else if (edge?.location) written.push(edge.location);
  });
  const [at, ...alsoAt] = written;
  const location = at ?? cycle.map((id) => graph.resources.get(id)?.location).find((where) => where !== undefined);
  return new EngineError('ERR_CYCLE', `the graph has a cycle: ${cyclePath(cycle)}${autoNote(automatic)}${writtenNote(at, alsoAt)}`, {
    phase: 'validate',
    ...(location ? { location } : {}),
    hint: cycleHint(automatic, written.length),
  });
}

function autoNote(automatic: readonly ResolvedEdge[]): string {
  if (automatic.length === 0) return '';
  const links = shown(automatic.map((edge) => `${edge.from} -> ${edge.to}`));
  return automatic.length === 1 ? `; ${links} is an autoedge (converge adds it, no file has it)` : `; ${links} are autoedges (converge adds them, no file has them)`;
}

function writtenNote(at: SourceLocation | undefined, alsoAt: readonly SourceLocation[]): string {
  if (at === undefined) return '';
  if (alsoAt.length === 0) return '; the edge you wrote is this one';
  return `; the edges you wrote are this one and ${alsoAt.length === 1 ? 'the one' : 'those'} at ${shown(alsoAt.map((where) => `${where.file}:${where.line}`))}`;
}

function cycleHint(automatic: readonly ResolvedEdge[], written: number): string {
  if (automatic.length === 0) return 'remove or reverse one of these edges';
  const [only] = automatic;
  const onResource = automatic.length === 1 && only ? `${only.from} or ${only.to}` : 'either resource of one of its autoedges';
  // Turning autoedges off on a resource drops all of its autoedges, not only this one.
  const autoedgeOff = `set meta: {autoedge: false} on ${onResource} (that resource then gets no autoedges: write the edges it needs)`;
  if (written === 0) return autoedgeOff;
  return `${written === 1 ? 'remove or reverse this edge' : 'remove or reverse one of the edges you wrote'}, or ${autoedgeOff}`;
}

/** `a, b, c`; past LINKS_SHOWN, the first few and how many more. */
function shown(items: readonly string[]): string {
  return items.length > LINKS_SHOWN ? [...items.slice(0, LINKS_SHOWN), `${items.length - LINKS_SHOWN} more`].join(', ') : items.join(', ');
}
