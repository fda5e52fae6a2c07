import { SCHEDULE_STRATEGIES } from '@converge/engine';
import type { AnyResourceDefinition } from '@converge/engine-api';
import { isJsonObject, toEditorSchema, type JsonSchema, type JsonValue } from './json-schema.js';
import { metaSchema } from './meta-schema.js';
import { legacyParamsFor } from './legacy-params-schema.js';

/**
 * Draft-07: the draft the YAML language server (and VS Code's JSON service
 * under it) fully supports; later drafts are only partly understood there.
 */
export const SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });
const kindRef = (kind: string): string => `kind.${kind}`;

/**
 * The JSON Schema of a graph file (mgmt's YAML graph format plus `plugins:`
 * and edge send/recv) for these kinds: editors complete kinds, params with
 * their descriptions, enum values, metaparams and edges, and flag unknown
 * kinds and params as the engine would.
 */
export function graphSchema(definitions: readonly AnyResourceDefinition[]): JsonSchema {
  const kinds = definitions.map((definition) => definition.kind);
  const byKind: { [kind: string]: JsonValue } = {};
  const kindDefinitions: { [name: string]: JsonValue } = {};
  for (const definition of definitions) {
    kindDefinitions[kindRef(definition.kind)] = resourceSchema(definition);
    byKind[definition.kind] = {
      // Left empty (null), as validate accepts: no resources of the kind.
      type: ['array', 'null'],
      description: definition.description ?? `Resources of kind ${definition.kind}.`,
      items: ref(kindRef(definition.kind)),
    };
  }
  return {
    $schema: SCHEMA_DIALECT,
    title: 'converge graph',
    description: 'A converge graph file: resources by kind, and the edges between them.',
    type: 'object',
    required: ['graph'],
    additionalProperties: false,
    // Keys of the writer's own (shared anchors, notes): ignored by converge.
    patternProperties: { '^x-': { description: 'Yours: ignored by converge (a place for shared YAML anchors).' } },
    properties: {
      graph: { type: 'string', minLength: 1, description: "The graph's name." },
      comment: { type: 'string', description: 'Free text about the graph.' },
      plugins: {
        type: ['array', 'null'],
        description: 'Plugin packages to load besides the @converge/res-* convention: package names, or folders relative to this file.',
        items: { type: 'string', minLength: 1 },
      },
      resources: {
        type: ['object', 'null'],
        description: 'Resources, listed by kind.',
        properties: byKind,
        additionalProperties: false,
      },
      edges: { type: ['array', 'null'], description: 'Edges: `from` runs before `to`.', items: ref('edge') },
      collect: {
        type: ['array', 'null'],
        description: 'With --seeds: pull resources other hosts exported to this one into this graph.',
        items: {
          type: 'object',
          required: ['kind'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', minLength: 1, description: 'The kind to collect.' },
            pattern: { type: 'string', description: 'A glob on the resource name (default: all).' },
          },
        },
      },
      schedule: {
        type: 'object',
        description: 'With --seeds: run this graph only on the hosts the scheduler chooses.',
        additionalProperties: false,
        properties: {
          strategy: { enum: [...SCHEDULE_STRATEGIES], description: 'How hosts are chosen.' },
          max: { type: 'integer', minimum: 1, description: 'How many hosts run it at most.' },
        },
      },
    },
    definitions: {
      ...kindDefinitions,
      meta: metaSchema(),
      edge: edgeSchema(),
      edgeEnd: edgeEndSchema(kinds),
    },
  };
}

function resourceSchema(definition: AnyResourceDefinition): JsonSchema {
  const params = toEditorSchema(definition.params);
  // `name` and `meta` are the graph's own keys in a resource, never params.
  const properties = Object.fromEntries(
    Object.entries(isJsonObject(params['properties']) ? params['properties'] : {}).filter(([param]) => param !== 'name' && param !== 'meta'),
  );
  // The engine fills the name param from the name, and params with a default
  // from the default, so a graph need not write them.
  const hasDefault = (param: string): boolean => isJsonObject(properties[param]) && 'default' in properties[param];
  const required = (Array.isArray(params['required']) ? params['required'] : []).filter(
    (param): param is string => typeof param === 'string' && param !== definition.nameParam && !hasDefault(param),
  );
  const nameHelp = definition.nameParam === undefined ? '' : ` Also its \`${definition.nameParam}\` unless that is given.`;
  return {
    type: 'object',
    title: definition.kind,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    required: ['name', ...required],
    properties: {
      name: { type: 'string', minLength: 1, description: `The resource's name, unique within its kind.${nameHelp}` },
      meta: ref('meta'),
      ...legacyParamsFor(definition.kind, properties),
      ...properties,
    },
    additionalProperties: false,
  };
}

function edgeSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: "The edge's name (free text)." },
      from: { ...ref('edgeEnd'), description: 'The resource that runs first.' },
      to: { ...ref('edgeEnd'), description: 'The resource that runs after it.' },
      notify: { type: 'boolean', description: 'When `from` changes something, `to` is refreshed (e.g. a service restarts).' },
      send: { type: 'string', minLength: 1, description: 'A value `from` sends (one of its send keys), given to `to` as `recv`.' },
      recv: { type: 'string', minLength: 1, description: 'The param of `to` that receives the sent value.' },
    },
  };
}

function edgeEndSchema(kinds: readonly string[]): JsonSchema {
  return {
    type: 'object',
    required: ['kind', 'name'],
    additionalProperties: false,
    properties: {
      kind: { enum: [...kinds], description: 'The kind of the resource.' },
      name: { type: 'string', minLength: 1, description: 'The name of the resource.' },
    },
  };
}
