import { EngineError, type AnyResourceDefinition, type GraphResource, type GraphValidationIssue, type KindResource, type SourceLocation } from '@converge/engine-api';
import { secretSendKeys } from '../runtime/secrets.js';
import { pluginCallError } from './plugin-call-failure.js';
import type { GraphWarning, ResolvedEdge, ResolvedResource, ResourceSpec } from './spec.js';

/**
 * Each kind's `validateGraph` over its resources that run on this host
 * (hidden ones change nothing here), with the whole graph that runs here:
 * contradictions between resources of a kind, or with another kind's, told
 * at the resource each is about, as load errors (nothing runs); an issue
 * of severity `warning` as a load warning.
 */
export function checkKindGraphs(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  specs: ReadonlyMap<string, ResourceSpec>,
  edges: readonly ResolvedEdge[],
  problems: EngineError[],
  warnings: GraphWarning[],
): void {
  const byKind = new Map<string, ResolvedResource[]>();
  for (const resource of resources.values()) {
    if (resource.meta.hidden || !kinds.get(resource.kind)?.validateGraph) continue;
    const same = byKind.get(resource.kind);
    if (same) same.push(resource);
    else byKind.set(resource.kind, [resource]);
  }
  if (byKind.size === 0) return;
  // The whole graph that runs here, every kind's (engine API 1.13): made once, for every kind that checks.
  const graph: GraphResource[] = [];
  for (const { kind, name, params, meta } of resources.values()) if (!meta.hidden) graph.push({ kind, name, params });
  const secrets = secretsReceived(edges, resources, kinds);
  const receivedAt = receivedLocations(edges);
  for (const [kind, members] of byKind) {
    const definition = kinds.get(kind) as AnyResourceDefinition;
    let issues: readonly GraphValidationIssue[];
    try {
      issues = definition.validateGraph?.(members.map((member) => kindResource(member, secrets.get(member.id))), graph) ?? [];
    } catch (error) {
      problems.push(pluginCallError(members[0] as ResolvedResource, 'graph check', error));
      continue;
    }
    for (const issue of issues) {
      const resource = Number.isInteger(issue.resource) ? members[issue.resource] : undefined;
      if (resource === undefined) {
        // An issue about no resource it was given is the plugin's bug, told as a throw would be (dropped, the graph passed).
        problems.push(pluginCallError(members[0] as ResolvedResource, 'graph check', new Error(misplacedIssue(issue, members.length))));
        continue;
      }
      // A param an edge fills is written nowhere in the resource: its place is that edge's.
      const location = paramLocation(specs.get(resource.id), issue.param) ?? receivedAt.get(`${resource.id} ${issue.param}`) ?? resource.location;
      const message = issue.param ? `param '${issue.param}': ${issue.message}` : issue.message;
      if (issue.severity === 'warning') {
        // Every resource read from a file has a place; a warning is never a refusal.
        if (location) warnings.push({ location, resource: resource.id, message, ...(issue.hint ? { hint: issue.hint } : {}) });
        continue;
      }
      problems.push(
        new EngineError('ERR_PARAM_INVALID', message, {
          resource: resource.id,
          phase: 'validate',
          ...(location ? { location } : {}),
          hint: issue.hint || `see what kind '${kind}' accepts in its plugin's README`,
        }),
      );
    }
  }
}

function misplacedIssue(issue: GraphValidationIssue, given: number): string {
  const range = given === 1 ? 'the one resource it was given is 0' : `the ${given} resources it was given are 0 to ${given - 1}`;
  return `it returned an issue about resource ${JSON.stringify(issue.resource)}, but ${range} (the issue: ${JSON.stringify(issue.message)})`;
}

function kindResource({ name, params }: ResolvedResource, receivesSecrets: readonly string[] | undefined): KindResource<Record<string, unknown>> {
  return receivesSecrets ? { name, params, receivesSecrets } : { name, params };
}

/** By receiver id, its params that an edge fills with a send its sender's kind says is secret (engine API 1.16). */
function secretsReceived(
  edges: readonly ResolvedEdge[],
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
): Map<string, string[]> {
  const secrets = new Map<string, string[]>();
  for (const { from, to, send, recv } of edges) {
    if (send === undefined || recv === undefined) continue;
    const sender = kinds.get(resources.get(from)?.kind ?? '');
    if (!sender || !secretSendKeys(sender).has(send)) continue;
    const params = secrets.get(to) ?? [];
    if (!params.includes(recv)) secrets.set(to, [...params, recv]);
  }
  return secrets;
}

/** Where each received param (`kind[name] param`) is filled: its edge. */
function receivedLocations(edges: readonly ResolvedEdge[]): Map<string, SourceLocation> {
  const locations = new Map<string, SourceLocation>();
  for (const { to, recv, location } of edges) if (recv !== undefined && location) locations.set(`${to} ${recv}`, location);
  return locations;
}

function paramLocation(spec: ResourceSpec | undefined, param: string | undefined): SourceLocation | undefined {
  return param === undefined ? undefined : spec?.paramLocations.get(param);
}
