import type { JsonSchema } from './json-schema.js';

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
    send_output: { type: 'boolean', deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends output." },
    send_stdout: { type: 'boolean', deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends stdout." },
    send_stderr: { type: 'boolean', deprecated: true, description: "mgmt's switch, ignored: converge's exec always sends stderr." },
  },
  file: {
    dirname: { type: 'string', pattern: '/$', deprecated: true, description: "mgmt's way to build the path: the folder (ending in /) that replaces the path's own; write path instead." },
    basename: { type: 'string', pattern: '^[^/]', deprecated: true, description: "mgmt's way to build the path: the last part that replaces the path's own; write path instead." },
  },
};

/** The legacy params a kind's schema lacks, to add beside its own. */
export function legacyParamsFor(kind: string, declared: Readonly<Record<string, unknown>>): Record<string, JsonSchema> {
  const legacy = { ...FOR_EVERY_KIND, ...(BY_KIND[kind] ?? {}) };
  return Object.fromEntries(Object.entries(legacy).filter(([param]) => !Object.hasOwn(declared, param)));
}
