import type { World } from '@converge/engine-api';
import { clusterKeys } from './cluster-keys.js';

/** What each host publishes about itself, bound to its lease. */
export interface HostStatus {
  readonly host: string;
  readonly converged: boolean;
  /** The deploy it runs; undefined when it runs a graph file. */
  readonly deploy?: number;
  /** The running graph's name; undefined before the first graph. */
  readonly graph?: string;
  /**
   * The newest deploy, when this host could not load it (a kind whose plugin
   * it lacks, say), and why in brief: it runs the deploy before (`deploy`),
   * or nothing. Gone once a later deploy loads.
   */
  readonly refused?: DeployRefusal;
  readonly resources: number;
  readonly failed: number;
  /** ISO time of this status. */
  readonly time: string;
  /** An id of the run that wrote it, new at each start: two runs given one host name tell each other apart by it (read from the stored value by the agent; not shown). */
  readonly instance?: string;
}

/** A deploy a host could not load: its number, and the first problem in a line. */
export interface DeployRefusal {
  readonly deploy: number;
  readonly reason: string;
}

export function encodeHostStatus(status: HostStatus): string {
  return JSON.stringify(status);
}

/** Every host's status, by host name (hosts that died are gone with their lease). */
export async function readHostStatuses(world: World): Promise<HostStatus[]> {
  const entries = await world.list(clusterKeys.statusPrefix);
  return statusesFrom(entries.values());
}

export function statusesFrom(values: Iterable<string>): HostStatus[] {
  const statuses: HostStatus[] = [];
  for (const value of values) {
    try {
      const parsed = JSON.parse(value) as Partial<HostStatus>;
      if (typeof parsed.host !== 'string' || typeof parsed.converged !== 'boolean') continue;
      statuses.push({
        host: parsed.host,
        converged: parsed.converged,
        ...(typeof parsed.deploy === 'number' ? { deploy: parsed.deploy } : {}),
        ...(typeof parsed.graph === 'string' ? { graph: parsed.graph } : {}),
        ...refusalFrom(parsed.refused),
        resources: Number(parsed.resources ?? 0),
        failed: Number(parsed.failed ?? 0),
        time: String(parsed.time ?? ''),
      });
    } catch {
      // not a status: ignore
    }
  }
  return statuses.sort((a, b) => a.host.localeCompare(b.host));
}

function refusalFrom(value: unknown): { refused?: DeployRefusal } {
  if (typeof value !== 'object' || value === null) return {};
  const { deploy, reason } = value as Partial<DeployRefusal>;
  return typeof deploy === 'number' ? { refused: { deploy, reason: String(reason ?? '') } } : {};
}

/**
 * The deploy a host has done what it can about: the one it refused, else
 * the one it runs (undefined: its own graph file).
 */
function settledOn(status: HostStatus): number | undefined {
  return status.refused?.deploy ?? status.deploy;
}

/**
 * The cluster is converged when it has at least one host, every host is
 * converged with no failure, and all run the same deploy: a host that
 * refused it runs another graph, or none (QA: such a host counted as
 * converged on the deploy it could not load).
 */
export function clusterConverged(statuses: readonly HostStatus[]): boolean {
  return clusterSettled(statuses) && statuses.every((status) => status.failed === 0 && status.refused === undefined);
}

/**
 * Every host has done what it can on the same deploy: converged, left with
 * failed resources that only a change would run again, or refused it (only
 * another deploy changes that). What `--converged-exit` waits for (its exit
 * code then tells the failures and refusals).
 */
export function clusterSettled(statuses: readonly HostStatus[]): boolean {
  if (statuses.length === 0) return false;
  const deploys = new Set(statuses.map(settledOn));
  return deploys.size === 1 && statuses.every((status) => status.refused !== undefined || status.converged);
}

/**
 * Why the hosts have not converged together, in words (what
 * `--converged-exit` and `converge status` wait for): undefined when they
 * have settled with nothing to say but failures. Hosts that run different
 * graphs (a graph file against a deploy, or two deploys) never settle by
 * waiting: that is said first; then the hosts that refused the deploy
 * (settled, but not on it), then those not converged yet.
 */
export function clusterWaitingFor(statuses: readonly HostStatus[]): string | undefined {
  if (statuses.length === 0) return 'no host has published its status yet';
  const running = (status: HostStatus): string => (status.deploy === undefined ? 'its own graph file' : `deploy ${status.deploy}`);
  // A host that has no graph yet (an agent that just joined, its deploy still loading) runs nothing different: it is not converged yet.
  // One that refused a deploy is on it as far as settling goes: only another deploy changes it.
  const withGraph = statuses.filter((status) => status.refused !== undefined || status.deploy !== undefined || status.graph !== undefined);
  if (new Set(withGraph.map(settledOn)).size > 1) {
    const on = (status: HostStatus): string => (status.refused ? `refused deploy ${status.refused.deploy}` : running(status));
    return `the hosts run different graphs (${withGraph.map((status) => `${status.host}: ${on(status)}`).join(', ')}); they settle together only on one deploy`;
  }
  const refusals = statuses.filter((status) => status.refused !== undefined).map((status) => `${status.host} refused deploy ${status.refused?.deploy}`);
  const waiting = statuses.filter((status) => status.refused === undefined && (status.graph === undefined || !status.converged)).map((status) => status.host);
  const parts = [...(refusals.length > 0 ? [refusals.join(', ')] : []), ...(waiting.length > 0 ? [`not converged yet: ${waiting.join(', ')}`] : [])];
  return parts.length > 0 ? parts.join('; ') : undefined;
}
