import type { EngineTopology, ResourceState, ResourceStatus } from '@converge/engine';
import type { GraphView } from '../render/graph-view.js';
import { renderSvg } from '../render/svg.js';

/**
 * One resource as the page shows it. Built field by field from the status,
 * so nothing else (params, error causes or stacks, which may hold secrets)
 * can reach the browser.
 */
export interface StatusView {
  readonly id: string;
  readonly kind: string;
  readonly state: ResourceState;
  readonly checks: number;
  readonly changes: number;
  /** The last error's message (never its cause, hint or stack). */
  readonly error?: string;
}

/** What the page needs to draw the graph from scratch: sent on connect and after every swap. */
export interface GraphSnapshot {
  readonly title: string;
  /** The layered picture (as `converge graph --format svg` draws it), ids only. */
  readonly svg: string;
  readonly statuses: readonly StatusView[];
  readonly converged: boolean;
}

export function statusView(status: ResourceStatus): StatusView {
  return {
    id: status.id,
    kind: status.kind,
    state: status.state,
    checks: status.checks,
    changes: status.changes,
    ...(status.lastError ? { error: status.lastError.message } : {}),
  };
}

/** The running graph without its hidden resources (`meta: {hidden: true}`), in topological order. */
export function topologyView(title: string, topology: EngineTopology): GraphView {
  const resources = topology.resources
    .filter((resource) => !resource.hidden)
    .map(({ id, kind, name, group }) => ({ id, kind, name, group }));
  const shown = new Set(resources.map((resource) => resource.id));
  const edges = topology.edges
    .filter((edge) => shown.has(edge.from) && shown.has(edge.to))
    .map(({ from, to, origin, notify, send, recv }) => ({
      from,
      to,
      origin,
      notify,
      ...(send === undefined ? {} : { send }),
      ...(recv === undefined ? {} : { recv }),
    }));
  return { graph: title, resources, edges };
}

export function graphSnapshot(
  title: string,
  topology: EngineTopology,
  statuses: readonly ResourceStatus[],
  converged: boolean,
): GraphSnapshot {
  // The XML declaration means nothing inside an HTML page.
  const svg = renderSvg(topologyView(title, topology)).replace(/^<\?xml[^>]*\?>\s*/, '');
  return { title, svg, statuses: statuses.filter((status) => !status.hidden).map(statusView), converged };
}
