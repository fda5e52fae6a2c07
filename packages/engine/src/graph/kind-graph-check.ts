import { EngineError, type AnyResourceDefinition, type GraphResource, type GraphValidationIssue, type SourceLocation } from '@converge/engine-api';
import { pluginCallError } from './plugin-call-failure.js';
import type { ResolvedResource, ResourceSpec } from './spec.js';

/**
 * Each kind's `validateGraph` over its resources that run on this host
 * (hidden ones change nothing here), with the whole graph that runs here:
 * contradictions between resources of a kind, or with another kind's, told
 * at the resource each is about, as load errors (nothing runs).
 */
export function checkKindGraphs(
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  specs: ReadonlyMap<string, ResourceSpec>,
  problems: EngineError[],
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
  for (const [kind, members] of byKind) {
    const definition = kinds.get(kind) as AnyResourceDefinition;
    let issues: readonly GraphValidationIssue[];
    try {
      issues = definition.validateGraph?.(
        members.map(({ name, params }) => ({ name, params })),
        graph,
      ) ?? [];
    } catch (error) {
      problems.push(pluginCallError(members[0] as ResolvedResource, 'graph check', error));
      continue;
    }
    for (const issue of issues) {
      const resource = members[issue.resource];
      if (resource === undefined) continue;
      const location = paramLocation(specs.get(resource.id), issue.param) ?? resource.location;
      problems.push(
        new EngineError('ERR_PARAM_INVALID', issue.param ? `param '${issue.param}': ${issue.message}` : issue.message, {
          resource: resource.id,
          phase: 'validate',
          ...(location ? { location } : {}),
          hint: issue.hint || `see what kind '${kind}' accepts in its plugin's README`,
        }),
      );
    }
  }
}

function paramLocation(spec: ResourceSpec | undefined, param: string | undefined): SourceLocation | undefined {
  return param === undefined ? undefined : spec?.paramLocations.get(param);
}
