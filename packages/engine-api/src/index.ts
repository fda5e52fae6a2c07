export { ENGINE_API_VERSION } from './version.js';
export { Type } from './schema.js';
export type { Static, TObject, TProperties, TSchema } from './schema.js';
export {
  EngineError,
  isEngineError,
  INPUT_ERROR_CODES,
  RESOURCE_ERROR_CODES,
} from './errors.js';
export type {
  EngineErrorCode,
  EngineErrorOptions,
  InputErrorCode,
  ResourceErrorCode,
  Phase,
  SourceLocation,
} from './errors.js';
export type { Logger, LogFields } from './logger.js';
export type { World, WorldChange } from './world.js';
export { DEFAULT_META } from './meta.js';
export type { MetaParams } from './meta.js';
export type { ResourceContext, ReceivedValue } from './context.js';
export { defineResource, isResourceDefinition } from './resource.js';
export type {
  AnyResourceDefinition,
  AutoEdgeCandidate,
  AutoEdgeSearch,
  EdgeableTrait,
  GraphValidationIssue,
  GroupableTrait,
  KindResource,
  GraphResource,
  MergeableTrait,
  ParamsOf,
  ResourceDefinition,
  ResourceInstance,
  ResourceUid,
  ReversibleTrait,
  SendsOf,
  ValidationIssue,
} from './resource.js';
export { definePlugin, isPluginDefinition } from './plugin.js';
export type { PluginDefinition, PluginManifest } from './plugin.js';
