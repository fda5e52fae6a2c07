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
  readonly resources: number;
  readonly failed: number;
  /** ISO time of this status. */
  readonly time: string;
  /** An id of the run that wrote it, new at each start: two runs given one host name tell each other apart by it (read from the stored value by the agent; not shown). */
  readonly instance?: string;
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

/**
 * The cluster is converged when it has at least one host, every host is
 * converged with no failure, and all run the same deploy.
 */
export function clusterConverged(statuses: readonly HostStatus[]): boolean {
  return clusterSettled(statuses) && statuses.every((status) => status.failed === 0);
}

/**
 * Every host has done what it can on the same deploy: converged, or left
 * with failed resources that only a change would run again. What
 * `--converged-exit` waits for (its exit code then tells the failures).
 */
export function clusterSettled(statuses: readonly HostStatus[]): boolean {
  if (statuses.length === 0) return false;
  const deploys = new Set(statuses.map((status) => status.deploy));
  return deploys.size === 1 && statuses.every((status) => status.converged);
}

/**
 * Why the hosts have not settled, in words (what `--converged-exit` and
 * `converge status` wait for); undefined when they have. Hosts that run
 * different graphs (a graph file against a deploy, or two deploys) never
 * settle by waiting: that is said first.
 */
export function clusterWaitingFor(statuses: readonly HostStatus[]): string | undefined {
  if (statuses.length === 0) return 'no host has published its status yet';
  const running = (status: HostStatus): string => (status.deploy === undefined ? 'its own graph file' : `deploy ${status.deploy}`);
  // A host that has no graph yet (an agent that just joined, its deploy still loading) runs nothing different: it is not converged yet.
  const withGraph = statuses.filter((status) => status.deploy !== undefined || status.graph !== undefined);
  if (new Set(withGraph.map((status) => status.deploy)).size > 1) {
    return `the hosts run different graphs (${withGraph.map((status) => `${status.host}: ${running(status)}`).join(', ')}); they settle together only on one deploy`;
  }
  const waiting = statuses.filter((status) => status.graph === undefined || !status.converged).map((status) => status.host);
  if (waiting.length > 0) return `not converged yet: ${waiting.join(', ')}`;
  return undefined;
}
