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
 * its messages.
 */
export function toEditorSchema(schema: unknown): JsonSchema {
  const plain: unknown = JSON.parse(JSON.stringify(schema ?? {}));
  const result = withWrittenAsText(simplify(plain));
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
  return out;
}

/** A type a scalar written in YAML may have besides text. */
const NON_TEXT_TYPES: ReadonlySet<JsonValue> = new Set(['number', 'integer', 'boolean']);

/**
 * Every free-text string also takes a number or true/false, marked
 * deprecated (WRITTEN_AS_TEXT), except where its param takes such values
 * of its own (`mode`: text or a whole number up to 7777): there a number is
 * read as the param reads it, with its own limits (QA: `mode: 99999` passed).
 */
function withWrittenAsText(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withWrittenAsText);
  if (!isJsonObject(value)) return value;
  const alternatives = value['anyOf'];
  const takesNonText = Array.isArray(alternatives) && alternatives.some((member) => isJsonObject(member) && NON_TEXT_TYPES.has(member['type'] ?? null));
  const out: { [key: string]: JsonValue } = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] =
      key === 'anyOf' && takesNonText && Array.isArray(member)
        ? member.map((alternative) => (isJsonObject(alternative) && isFreeText(alternative) ? alternative : withWrittenAsText(alternative)))
        : withWrittenAsText(member);
  }
  if (!isFreeText(out)) return out;
  // The description stays outside, where an editor shows it for the param.
  const { description, ...text } = out;
  return { ...(description === undefined ? {} : { description }), anyOf: [text, ...WRITTEN_AS_TEXT] };
}
