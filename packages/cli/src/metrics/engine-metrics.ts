import type { Engine, EngineEvent, ResourceState } from '@converge/engine';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { statusesWithReversalFailures } from '../reversal-failures.js';

/** The part of the engine the metrics read. */
export type MetricsSource = Pick<Engine, 'onEvent' | 'statuses' | 'failures' | 'converged'>;

const RESOURCE_STATES: readonly ResourceState[] = ['pending', 'running', 'converged', 'failed', 'blocked', 'stopped'];

/** How a checkApply ended, the `result` label. */
type CheckResult = 'converged' | 'changed' | 'would_change' | 'failed';

/** `kind` of a `kind[name]` id (a kind never holds `[`). */
function kindOf(id: string): string {
  const bracket = id.indexOf('[');
  return bracket < 0 ? id : id.slice(0, bracket);
}

type CheckEvent = Extract<EngineEvent, { type: 'checkApply' }>;

/** How one resource came out of a check: the vertex's own, or a group member's (see MemberCheck). */
type Outcome = Pick<CheckEvent, 'id' | 'converged' | 'error'>;

function checkResult(outcome: Outcome, apply: boolean): CheckResult {
  if (outcome.error) return 'failed';
  if (outcome.converged) return 'converged';
  return apply ? 'changed' : 'would_change';
}

/**
 * The engine's activity as Prometheus metrics, in a registry of their own
 * (with the process's default metrics). Counters follow engine events;
 * states and convergence are read from the engine at each scrape, so they
 * are never stale. Labels carry resource ids and error codes, never param
 * values or error messages (either may hold secrets).
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly #unsubscribe: () => void;

  constructor(engine: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const checks = new Counter({
      name: 'converge_checkapply_total',
      help: 'checkApply calls by resource and result (converged: nothing to do; changed; would_change: in noop mode; failed); a grouped call counts for each member, by its own result',
      labelNames: ['resource', 'kind', 'result'] as const,
      registers,
    });
    // By kind only, as mgmt labels it: a histogram per resource made 13
    // series each, 11.6 MB scrapes for 5,000 files (QA). A resource's own
    // time is its counter of seconds below (rate of it over rate of calls).
    const durations = new Histogram({
      name: 'converge_checkapply_duration_seconds',
      help: 'How long checkApply calls took, by kind (a grouped call once)',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
    const seconds = new Counter({
      name: 'converge_checkapply_seconds_total',
      help: 'Time spent in checkApply calls, by resource (a grouped call\'s time for each member)',
      labelNames: ['resource', 'kind'] as const,
      registers,
    });
    const errors = new Counter({
      name: 'converge_checkapply_errors_total',
      help: 'checkApply calls that failed, by resource and error code',
      labelNames: ['resource', 'kind', 'code'] as const,
      registers,
    });
    const events = new Counter({
      name: 'converge_watch_events_total',
      help: 'Events reported by resources\' watches (possible drift)',
      labelNames: ['resource', 'kind'] as const,
      registers,
    });
    const swaps = new Counter({
      name: 'converge_graph_swaps_total',
      help: 'Graphs applied: the first one, then one per reload',
      registers,
    });
    const graphResources = new Gauge({ name: 'converge_graph_resources', help: 'Resources of the running graph (after autogroup)', registers });
    const graphEdges = new Gauge({ name: 'converge_graph_edges', help: 'Edges of the running graph (autoedges included)', registers });
    new Gauge({
      name: 'converge_converged',
      help: '1 when the whole graph is converged, else 0; always 0 when converged detection is off (no --converger-timeout, the default)',
      registers,
      collect() {
        this.set(engine.converged.get() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'converge_resource_state',
      help: 'Each resource\'s state: 1 for the one it is in, 0 for the others',
      labelNames: ['resource', 'kind', 'state'] as const,
      registers,
      collect() {
        // Reset first: resources removed by a graph swap must disappear.
        this.reset();
        for (const status of statusesWithReversalFailures(engine)) {
          for (const state of RESOURCE_STATES) this.set({ resource: status.id, kind: status.kind, state }, status.state === state ? 1 : 0);
        }
      },
    });

    // The label values each resource's series were made with, so that a
    // graph swap can remove the series of the resources it removed: a
    // daemon whose resource names change (versions in names, collected
    // exports) would otherwise grow its memory and every scrape for good.
    const seriesOf = new Map<string, { results: Set<CheckResult>; codes: Set<string> }>();
    const seriesFor = (id: string): { results: Set<CheckResult>; codes: Set<string> } => {
      let series = seriesOf.get(id);
      if (series === undefined) {
        series = { results: new Set(), codes: new Set() };
        seriesOf.set(id, series);
      }
      return series;
    };
    const removeLeftResources = (): void => {
      const live = new Set(engine.statuses().map((status) => status.id));
      for (const [id, series] of seriesOf) {
        if (live.has(id)) continue;
        const labels = { resource: id, kind: kindOf(id) };
        for (const result of series.results) checks.remove({ ...labels, result });
        for (const code of series.codes) errors.remove({ ...labels, code });
        seconds.remove(labels);
        events.remove(labels);
        seriesOf.delete(id);
      }
    };

    this.#unsubscribe = engine.onEvent((event) => {
      switch (event.type) {
        case 'checkApply': {
          // One call, timed once; but a group's call is counted for each
          // member by its own result (QA: a failing member was counted as
          // the group's first, and the others not at all).
          durations.observe({ kind: kindOf(event.id) }, event.durationMs / 1000);
          for (const outcome of event.members ?? [event]) {
            const labels = { resource: outcome.id, kind: kindOf(outcome.id) };
            const series = seriesFor(outcome.id);
            const result = checkResult(outcome, event.apply);
            series.results.add(result);
            checks.inc({ ...labels, result });
            seconds.inc(labels, event.durationMs / 1000);
            if (outcome.error) {
              series.codes.add(outcome.error.code);
              errors.inc({ ...labels, code: outcome.error.code });
            }
          }
          break;
        }
        case 'event':
          seriesFor(event.id);
          events.inc({ resource: event.id, kind: kindOf(event.id) });
          break;
        case 'swap':
          swaps.inc();
          graphResources.set(event.resources);
          graphEdges.set(event.edges);
          removeLeftResources();
          break;
        default:
          break;
      }
    });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.#unsubscribe();
    this.registry.clear();
  }
}
