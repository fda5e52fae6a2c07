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
  const result = simplify(plain);
  return isJsonObject(result) ? result : {};
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
