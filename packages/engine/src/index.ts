export { Engine } from './runtime/engine.js';
export { LONGEST_WAIT_MS } from './runtime/longest-wait.js';
export type { EngineOptions, EngineTopology, ReversalOutcome } from './runtime/engine.js';
export type { SwapChanges } from './runtime/swap-changes.js';
export type { EngineEvent, EngineEventListener, MemberCheck } from './runtime/engine-events.js';
export { EventValue, EventValueWatcher } from './runtime/event-value.js';
export type { ResourceState, ResourceStatus } from './runtime/status.js';
export { builtinResources, noopResource } from './builtin/noop.js';
export { GraphLoadError } from './graph/load-error.js';
export { topoSort } from './graph/toposort.js';
export { autoEdges } from './graph/autoedge.js';
export { autoGroup } from './graph/autogroup.js';
export type { GroupedGraph, GroupedResource } from './graph/autogroup.js';
export { planGraph } from './runtime/graph-plan.js';
export type { GraphPlan } from './runtime/graph-plan.js';
export { describeWarning, resourceId } from './graph/spec.js';
export type {
  EdgeEndSpec,
  EdgeOrigin,
  EdgeSpec,
  GraphSpec,
  GraphWarning,
  ResolvedEdge,
  ResolvedGraph,
  ResolvedResource,
  ResourceSpec,
} from './graph/spec.js';
export type { KindResolver, UnreadablePlugin } from './loader/kind-resolver.js';
export { LocalWorld } from './world/local-world.js';
export { loadGraphFile, loadGraphSpec } from './graph/load-graph.js';
export type { LoadGraphOptions } from './graph/load-graph.js';
export { parseGraphYaml } from './yaml/parse.js';
export { readGraphFile } from './yaml/read.js';
export { isStreamedGraph } from './yaml/read-stream.js';
export { resolveGraph } from './graph/resolve.js';
export { createKindResolver } from './loader/plugin-registry.js';
export type { KindResolverOptions } from './loader/plugin-registry.js';
export { isPathReference } from './loader/package-lookup.js';
export { graph, GraphBuilder } from './api/graph-builder.js';
export type { EdgeOptions, KindDefinition, ParamAccepting, ParamsInput, ResourceHandle, ResourceOptions, SendKey } from './api/typed-kinds.js';
export { memoryKindResolver } from './api/memory-resolver.js';
export { runFrontend } from './api/frontend.js';
export type { GraphFrontend, RunFrontendOptions } from './api/frontend.js';
// Types only: the etcd world itself is loaded from '@converge/engine/etcd'.
export type { EtcdWorld, EtcdWorldOptions, WorldUnreachableError } from './world/etcd-world.js';
export { kvResource, kvWorldKey } from './builtin/kv.js';
export type { CollectSpec } from './graph/spec.js';
export { clusterKeys } from './cluster/cluster-keys.js';
export { collectConflictWarning, collectFor, exportsOf, exportToSpec, globToRegExp, parseExport, publishExports } from './cluster/exported-resources.js';
export type { CollectConflict, ExportedResource } from './cluster/exported-resources.js';
export { composeGraph } from './cluster/compose-graph.js';
export { withOwnHiddenExportsCollected } from './cluster/own-hidden-exports.js';
export { followDeploys, readDeploy, storeDeploy } from './cluster/deploys.js';
export type { Deploy } from './cluster/deploys.js';
export { chooseHosts, Scheduler, SCHEDULE_STRATEGIES } from './cluster/scheduler.js';
export type { ScheduleSpec, ScheduleStrategy } from './cluster/scheduler.js';
export { clusterConverged, clusterSettled, clusterWaitingFor, encodeHostStatus, readHostStatuses, statusesFrom } from './cluster/host-status.js';
export type { DeployRefusal, HostStatus } from './cluster/host-status.js';
