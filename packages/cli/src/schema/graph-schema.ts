import { SCHEDULE_STRATEGIES } from '@converge/engine';
import type { AnyResourceDefinition } from '@converge/engine-api';
import { isJsonObject, toEditorSchema, type JsonSchema, type JsonValue } from './json-schema.js';
import { metaSchema } from './meta-schema.js';
import { legacyParamsFor, legacyValuesOf } from './legacy-params-schema.js';
import { LEADING_ZERO_TEXT, nameSchema, withMgmtForms, YAML11_BOOLEAN } from './mgmt-forms.js';

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
      graph: nameSchema("The graph's name."),
      comment: { description: 'Free text about the graph.', anyOf: [{ type: ['string', 'null'] }, LEADING_ZERO_TEXT] },
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
            pattern: { description: 'A glob on the resource name (default: all, also when left empty).', anyOf: [{ type: ['string', 'null'] }, LEADING_ZERO_TEXT] },
          },
        },
      },
      schedule: {
        type: 'object',
        description: 'With --seeds: run this graph only on the hosts the scheduler chooses.',
        additionalProperties: false,
        properties: {
          // Left empty, each is its default (first, 1), as validate reads it.
          strategy: { enum: [...SCHEDULE_STRATEGIES, null], description: 'How hosts are chosen (default: first).' },
          max: { type: ['integer', 'null'], minimum: 1, description: 'How many hosts run it at most (default: 1).' },
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
  // Params with a default are not required there (toEditorSchema); the engine fills the name param from the name.
  const params = toEditorSchema(definition.params, TEXT_FORMS[definition.kind]);
  const required = (Array.isArray(params['required']) ? params['required'] : []).filter(
    (param): param is string => typeof param === 'string' && param !== definition.nameParam,
  );
  // `name` and `meta` are the graph's own keys in a resource, never params.
  // A param left empty is read as not set, so only one the graph must
  // write cannot be (it would then be missing).
  const properties = Object.fromEntries(
    Object.entries(isJsonObject(params['properties']) ? params['properties'] : {})
      .filter(([param]) => param !== 'name' && param !== 'meta')
      .map(([param, schema]) => [param, isJsonObject(schema) ? withMgmtForms(schema, !required.includes(param), legacyValuesOf(definition.kind, param)) : schema]),
  );
  const nameHelp = definition.nameParam === undefined ? '' : ` Also its \`${definition.nameParam}\` unless that is given.`;
  return {
    type: 'object',
    title: definition.kind,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    required: ['name', ...required],
    properties: {
      name: nameSchema(`The resource's name, unique within its kind.${nameHelp}`),
      meta: ref('meta'),
      ...legacyParamsFor(definition.kind, properties),
      ...properties,
    },
    additionalProperties: false,
  };
}

/**
 * The form of the text of params whose kind checks it itself: an editor
 * flags a bad one, and does not take a number or true/false there as text
 * the kind would refuse. A file's mode: octal digits (07777 at most, 0o
 * allowed) or `who=perms` clauses (res-file's mode.ts); a number is its own
 * alternative, read as octal digits.
 */
const TEXT_FORMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  file: { mode: '^(?:0o[0-7]{1,4}|0?[0-7]{1,4}|[ugoa]*=[rwxst]*(?:,[ugoa]*=[rwxst]*)*)$' },
};

function edgeSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '\\S', description: "The edge's name (free text)." },
      from: { ...ref('edgeEnd'), description: 'The resource that runs first.' },
      to: { ...ref('edgeEnd'), description: 'The resource that runs after it.' },
      notify: {
        description: 'When `from` changes something, `to` is refreshed (e.g. a service restarts).',
        // Left empty: false.
        anyOf: [{ type: ['boolean', 'null'] }, YAML11_BOOLEAN],
      },
      send: { type: 'string', minLength: 1, description: 'A value `from` sends (one of its send keys), given to `to` as `recv`.' },
      recv: { type: 'string', minLength: 1, description: 'The param of `to` that receives the sent value.' },
    },
  };
}

function edgeEndSchema(kinds: readonly string[]): JsonSchema {
  const kind: JsonSchema = {
    description: 'The kind of the resource.',
    anyOf: [
      { enum: [...kinds] },
      // mgmt lowercases an edge end's kind: `File` loads as file, with a warning.
      { type: 'string', pattern: `^(?:${kinds.map(anyCase).join('|')})$`, deprecated: true, description: 'read in lower case, with a warning, as mgmt does: write it in lower case' },
    ],
  };
  return {
    type: 'object',
    required: ['name'],
    // `res` is mgmt's older name for `kind` (read as kind, with a warning): one of the two.
    oneOf: ['kind', 'res'].map((key) => ({ required: [key], properties: { [key]: true } })),
    additionalProperties: false,
    properties: {
      kind,
      res: { ...kind, deprecated: true, description: "mgmt's older name for kind: write kind" },
      name: nameSchema('The name of the resource.'),
    },
  };
}

/** A pattern that matches the text in any mix of upper and lower case. */
function anyCase(text: string): string {
  return [...text]
    .map((char) => (char.toLowerCase() !== char.toUpperCase() ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
}
