/** A JSON Schema as plain JSON data (what is written to the schema file). */
export type JsonSchema = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A kind's params schema as plain JSON for editors: TypeBox's symbol tags
 * dropped (JSON round trip), and every union of constants turned into an
 * `enum`, which the YAML language server offers as completions and names in
 * its messages. `textForms` gives a pattern to the text of a param whose
 * text the kind checks itself (a file's mode): see withTextForm.
 */
export function toEditorSchema(schema: unknown, textForms: Readonly<Record<string, string>> = {}): JsonSchema {
  const plain: unknown = JSON.parse(JSON.stringify(schema ?? {}));
  const simple = simplify(plain);
  if (isJsonObject(simple) && isJsonObject(simple['properties'])) {
    const properties = simple['properties'];
    for (const [param, pattern] of Object.entries(textForms)) {
      const declared = properties[param];
      if (declared !== undefined) properties[param] = withTextForm(declared, pattern);
    }
  }
  const result = withWrittenAsText(simple, 0);
  return isJsonObject(result) ? result : {};
}

/**
 * What converge also takes where a param takes free text: a plain number or
 * true/false, read as the text it is written as with a warning (`content: 5`,
 * `env: {PORT: 8080}`), as mgmt's reader does. Deprecated, so an editor
 * marks it without calling it an error (QA: it was one).
 */
const WRITTEN_AS_TEXT: JsonSchema[] = ['number', 'boolean'].map((type) => ({
  type,
  deprecated: true,
  description: 'read as the text it is written as, with a warning: quote it to say it is text',
}));

/** An entry left empty inside a param (`env: {A: }`, `args: [x, ~]`): the empty text to mgmt's reader, and to converge. */
const EMPTY_ENTRY: JsonSchema = {
  type: 'null',
  deprecated: true,
  description: 'read as the empty text, with a warning: write "" to say it is empty',
};

/** Free text: a string with no enum, constant, pattern or format to meet (one that does is left as it is). */
function isFreeText(schema: { [key: string]: JsonValue }): boolean {
  return schema['type'] === 'string' && !['enum', 'const', 'pattern', 'format'].some((key) => key in schema);
}

function simplify(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(simplify);
  if (!isJsonObject(value)) return value as JsonValue;
  const out: { [key: string]: JsonValue } = {};
  for (const [key, member] of Object.entries(value)) out[key] = simplify(member);
  const alternatives = out['anyOf'];
  if (Array.isArray(alternatives) && alternatives.length > 0 && alternatives.every((member) => isJsonObject(member) && 'const' in member)) {
    delete out['anyOf'];
    out['enum'] = alternatives.map((member) => (member as { const: JsonValue }).const);
  }
  return withDefaultsOptional(out);
}

/**
 * An object's keys with a default are not required: the engine fills the
 * default in before it checks, at every depth (a disk entry's `type`), so
 * a graph need not write them (QA: the editor asked for a disk's type).
 */
function withDefaultsOptional(schema: { [key: string]: JsonValue }): { [key: string]: JsonValue } {
  const required = schema['required'];
  const properties = schema['properties'];
  if (!Array.isArray(required) || !isJsonObject(properties)) return schema;
  const hasDefault = (key: JsonValue): boolean => typeof key === 'string' && isJsonObject(properties[key]) && 'default' in properties[key];
  const left = required.filter((key) => !hasDefault(key));
  if (left.length === required.length) return schema;
  const out: { [key: string]: JsonValue } = { ...schema, required: left };
  if (left.length === 0) delete out['required'];
  return out;
}

/**
 * A param's free text (itself, or its text alternative) with the pattern
 * its kind checks it against. Its schema says only "text" and leaves the
 * form to the kind's validate; without the pattern the editor would take
 * a number or true/false there as text (`mode: 99999`, `mode: true`), which
 * the kind then refuses (QA: mode: 99999 passed).
 */
function withTextForm(schema: JsonValue, pattern: string): JsonValue {
  if (!isJsonObject(schema)) return schema;
  if (isFreeText(schema)) return { ...schema, pattern };
  const alternatives = schema['anyOf'];
  if (!Array.isArray(alternatives)) return schema;
  return { ...schema, anyOf: alternatives.map((member) => (isJsonObject(member) && isFreeText(member) ? { ...member, pattern } : member)) };
}

/** Keys under which a schema describes the entries of a value (a list's items, a mapping's values). */
const ENTRY_KEYS: ReadonlySet<string> = new Set(['items', 'properties', 'patternProperties', 'additionalProperties']);

/**
 * Every free-text string also takes a number or true/false, marked
 * deprecated (WRITTEN_AS_TEXT), and, as an entry inside a param (`depth`
 * past the params' own keys), null when the empty text fits. In a union
 * (`owner`: a name or an id) the forms join the union's alternatives; a
 * value the union takes otherwise (`owner: 0`, an id) matches that one
 * first, so an editor does not mark it.
 */
function withWrittenAsText(value: JsonValue, depth: number): JsonValue {
  if (Array.isArray(value)) return value.map((member) => withWrittenAsText(member, depth));
  if (!isJsonObject(value)) return value;
  const out: { [key: string]: JsonValue } = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === 'anyOf' && Array.isArray(member)) {
      out[key] = member.flatMap((alternative) => (isJsonObject(alternative) && isFreeText(alternative) ? writtenForms(alternative, depth) : [withWrittenAsText(alternative, depth)]));
    } else {
      out[key] = withWrittenAsText(member, ENTRY_KEYS.has(key) ? depth + 1 : depth);
    }
  }
  if (!isFreeText(out)) return out;
  // The description stays outside, where an editor shows it for the param.
  const { description, ...text } = out;
  return { ...(description === undefined ? {} : { description }), anyOf: writtenForms(text, depth) };
}

/** Free text and what converge reads as text there. */
function writtenForms(text: { [key: string]: JsonValue }, depth: number): JsonSchema[] {
  const takesEmpty = typeof text['minLength'] !== 'number' || text['minLength'] === 0;
  return [text, ...WRITTEN_AS_TEXT, ...(depth > 1 && takesEmpty ? [EMPTY_ENTRY] : [])];
}
