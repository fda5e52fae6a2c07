import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { pathSegments, unionMemberOfShape } from './schema-paths.js';

/** A whole number or true/false written where the kind wants text, read as that text. */
export interface ScalarReadAsText {
  /** The param, then keys and list indexes down to the value. */
  readonly path: readonly string[];
  readonly value: number | boolean | null;
  readonly text: string;
}

/**
 * A param that takes a number or a text (a file's mode) and was given a
 * number written in another form than JavaScript writes it (`0x1A4`,
 * `1e3`, `644.0`) gets the text as written instead, as mgmt's reader would
 * give it: the kind then judges what was written, not a number the user
 * did not write (`mode: 1e3` is not the mode 1000). Top-level params only.
 */
export function keepWrittenForms(params: Record<string, unknown>, properties: Readonly<Record<string, TSchema>>, written: ReadonlyMap<string, string> | undefined): void {
  if (written === undefined) return;
  for (const [param, value] of Object.entries(params)) {
    const text = written.get(param);
    const schema = properties[param];
    if (text === undefined || schema === undefined || typeof value !== 'number' || text === String(value)) continue;
    if (Value.Check(schema, value) && Value.Check(schema, text)) params[param] = text;
  }
}

/**
 * mgmt's YAML reader gives a text param the scalar as written, whatever it
 * looks like: `env: {PORT: 8080}`, `user: 65534`, `content: 42` all load
 * there. Each value that fails its schema only for being a number or a
 * boolean, and fits it as text, is replaced in `params` by the text it is
 * written as (`written`, by path; `0x1F` stays `0x1F`). Returns what it
 * replaced, for a warning each; the caller checks again.
 */
export function readScalarsAsText(params: Record<string, unknown>, errors: readonly ValueError[], written?: ReadonlyMap<string, string>): ScalarReadAsText[] {
  const replaced: ScalarReadAsText[] = [];
  // One value may be named by several errors (a union's, then its members'): read and told once.
  const done = new Set<string>();
  for (const error of errors) {
    const path = pathSegments(error.path);
    for (const candidate of error.type === ValueErrorType.Union ? unionEntries(error.schema, error.value, path) : [{ path, schema: error.schema, value: error.value }]) {
      const { value, schema } = candidate;
      // An entry left empty inside a param (`env: {A: }`, `args: [x, ~]`) is the empty text to mgmt's reader.
      const empty = value === null && candidate.path.length > 1;
      const key = candidate.path.join('/');
      // `.inf` and `.nan` only as written: JavaScript writes them otherwise (Infinity).
      const number = typeof value === 'number' && (Number.isFinite(value) || written?.has(key) === true);
      if (!empty && !number && typeof value !== 'boolean') continue;
      // As written (`0x1F`, `1.0`), when the parser kept it; else as JavaScript writes the value.
      const text = empty ? '' : (written?.get(key) ?? String(value));
      if (done.has(key) || !Value.Check(schema, text) || !setAt(params, candidate.path, text)) continue;
      done.add(key);
      replaced.push({ path: candidate.path, value: value as number | boolean | null, text });
    }
  }
  return replaced;
}

/** For a list or mapping that fits no form of a union: each entry of the member of its own shape that does not fit. */
function unionEntries(union: TSchema, value: unknown, at: readonly string[]): Array<{ path: string[]; schema: TSchema; value: unknown }> {
  if (value === null || typeof value !== 'object') return [{ path: [...at], schema: union, value }];
  const member = unionMemberOfShape(union, value);
  if (!member) return [];
  return [...Value.Errors(member, value)].map((error) => ({
    path: [...at, ...pathSegments(error.path)],
    schema: error.schema,
    value: error.value,
  }));
}

/** Sets `value` at `path` inside `root` (own keys and list indexes only); false when the path does not lead there. */
function setAt(root: Record<string, unknown>, path: readonly string[], value: string): boolean {
  let node: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, path[i] as string)) return false;
    node = (node as Record<string, unknown>)[path[i] as string];
  }
  const last = path[path.length - 1];
  if (last === undefined || node === null || typeof node !== 'object' || !Object.hasOwn(node, last)) return false;
  (node as Record<string, unknown>)[last] = value;
  return true;
}
