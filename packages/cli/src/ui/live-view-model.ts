import type { EngineTopology, ResourceStatus } from '@converge/engine';
import { visibleView, type GraphView } from '../render/graph-view.js';
import { renderSvg } from '../render/svg.js';
import { shownState, type ShownState } from '../shown-state.js';
import { distinctLine } from '../terminal-text.js';

/**
 * One resource as the page shows it. Built field by field from the status,
 * so nothing else (params, error causes or stacks, which may hold secrets)
 * can reach the browser.
 */
export interface StatusView {
  readonly id: string;
  /**
   * The id as the page writes it, in the table and in the picture (its
   * box's `data-id`): control characters as escapes, told apart from what
   * was typed (distinctLine), so that a newline or a zero-width space in a
   * name is seen, and the picture stays well-formed XML.
   */
  readonly shownId: string;
  readonly kind: string;
  /** Its state, or `would change`: converged in a dry run that found something to change (as the terminal counts it apart). */
  readonly state: ShownState;
  readonly checks: number;
  /** Changes made: none in a dry run (its would-be changes are counted by the engine, and told by the state). */
  readonly changes: number;
  /** The last error's message (never its cause, hint or stack). */
  readonly error?: string;
}

/** What the page needs to draw the graph from scratch: sent on connect and after every swap. */
export interface GraphSnapshot {
  readonly title: string;
  /** The layered picture (as `converge graph --format svg` draws it), ids only; empty when the graph is too large to draw here. */
  readonly svg: string;
  /** How many resources the graph shows, when they are too many to draw here (then only the table lists them). */
  readonly tooLargeToDraw?: number;
  readonly statuses: readonly StatusView[];
  readonly converged: boolean;
  /**
   * False when converged is never detected (--converger-timeout -1, the
   * default as in mgmt): `converged` then stays false whatever the
   * resources' states, and the page says detection is off, not "not
   * converged" (QA: every resource green, the badge "not converged").
   */
  readonly convergedDetection: boolean;
}

export function statusView(status: ResourceStatus): StatusView {
  return {
    id: status.id,
    shownId: distinctLine(status.id),
    kind: status.kind,
    // QA: green and "converged, 1 change" for a file a dry run would create.
    state: shownState(status),
    checks: status.checks,
    changes: status.noop ? 0 : status.changes,
    ...(status.lastError ? { error: status.lastError.message } : status.watchDown ? { error: `watch down, restarting: ${status.watchDown.message}` } : {}),
  };
}

/** The running graph without its hidden resources (`meta: {hidden: true}`), in topological order; the order they carry kept (see visibleView). */
export function topologyView(title: string, topology: EngineTopology): GraphView {
  return visibleView(title, topology.resources, topology.edges);
}

/**
 * Above this many resources the page gets no picture, only the table: a
 * layer of thousands of files drawn side by side made a picture over a
 * million pixels wide and a first message of 3 MB, which took seconds to
 * build and a browser minutes to draw (QA, 5,060 resources).
 */
export const LIVE_DRAWING_MAX_RESOURCES = 300;

export function graphSnapshot(
  title: string,
  topology: EngineTopology,
  statuses: readonly ResourceStatus[],
  converged: { readonly now: boolean; readonly detection: boolean },
): GraphSnapshot {
  const shown = statuses.filter((status) => !status.hidden).map(statusView);
  const state = { statuses: shown, converged: converged.now, convergedDetection: converged.detection };
  const view = topologyView(title, topology);
  if (view.resources.length > LIVE_DRAWING_MAX_RESOURCES) return { title, svg: '', tooLargeToDraw: view.resources.length, ...state };
  // The XML declaration means nothing inside an HTML page.
  const svg = renderSvg(view).replace(/^<\?xml[^>]*\?>\s*/, '');
  return { title, svg, ...state };
}
