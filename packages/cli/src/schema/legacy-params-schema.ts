import type { JsonSchema } from './json-schema.js';
import { LEADING_ZERO_TEXT } from './mgmt-forms.js';

/**
 * Params that graphs written for mgmt carry and that load here with a
 * warning (see the engine's legacy params): in the editor schema too, marked
 * deprecated with what to write instead, so an editor does not flag as an
 * error a graph that runs.
 */
const FOR_EVERY_KIND: Readonly<Record<string, JsonSchema>> = {
  pollint: { type: 'integer', minimum: 0, deprecated: true, description: "mgmt's old param: write meta: {poll: SECONDS} (0 is ignored)." },
};

const BY_KIND: Readonly<Record<string, Readonly<Record<string, JsonSchema>>>> = {
  exec: {
    state: { const: 'present', deprecated: true, description: "mgmt's old exec param, ignored: an exec has no state." },
    // No type: the engine drops them whatever their value.
    send_output: { deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends output." },
    send_stdout: { deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends stdout." },
    send_stderr: { deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends stderr." },
  },
  file: {
    // Empty or null is mgmt's unset (read so, with a warning); a basename with a leading zero (0644) is text to converge.
    dirname: {
      anyOf: [{ type: 'string', pattern: '(?:^|/)$' }, { type: 'null' }],
      deprecated: true,
      description: "mgmt's way to build the path: the folder (ending in /) that replaces the path's own; write path instead.",
    },
    basename: {
      anyOf: [{ type: 'string', pattern: '^(?:[^/]|$)' }, { type: 'null' }, LEADING_ZERO_TEXT],
      deprecated: true,
      description: "mgmt's way to build the path: the last part that replaces the path's own; write path instead.",
    },
  },
};

/** Values of a kind's own params that mgmt's graphs write and that load with a warning: alternatives to add to the param's schema. */
const LEGACY_VALUES: Readonly<Record<string, Readonly<Record<string, readonly JsonSchema[]>>>> = {
  exec: {
    cmd: [{ const: '', deprecated: true, description: "mgmt's way to run the name: read as cmd left out, with a warning; leave cmd out" }],
  },
};

/** The alternatives mgmt's graphs add to a kind's own param (none for most). */
export function legacyValuesOf(kind: string, param: string): readonly JsonSchema[] {
  return LEGACY_VALUES[kind]?.[param] ?? [];
}

/** The legacy params a kind's schema lacks, to add beside its own. */
export function legacyParamsFor(kind: string, declared: Readonly<Record<string, unknown>>): Record<string, JsonSchema> {
  const legacy = { ...FOR_EVERY_KIND, ...(BY_KIND[kind] ?? {}) };
  return Object.fromEntries(Object.entries(legacy).filter(([param]) => !Object.hasOwn(declared, param)));
}
