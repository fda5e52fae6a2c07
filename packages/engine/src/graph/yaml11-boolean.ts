/** YAML 1.1 booleans, which YAML 1.2 (and so converge) reads as strings. */
const YAML11_BOOLEANS = /^(y|yes|n|no|on|off)$/i;

/** The hint for a YAML 1.1 boolean (`yes`, `off`…) where a boolean is wanted; undefined for any other value. */
export function yaml11BooleanHint(value: unknown): string | undefined {
  if (typeof value !== 'string' || !YAML11_BOOLEANS.test(value)) return undefined;
  return `YAML 1.2 reads ${value} as a string, not a boolean: write true or false`;
}

/** A YAML 1.1 boolean written as text, as the boolean it means there; undefined for any other value. */
export function yaml11Boolean(value: unknown): boolean | undefined {
  if (typeof value !== 'string' || !YAML11_BOOLEANS.test(value)) return undefined;
  return /^(y|yes|on)$/i.test(value);
}

/** What a warning says of a YAML 1.1 boolean read as one: `written` as it stands in the graph (`force: yes`); no key for a list's entry. */
export function yaml11BooleanRead(written: string, key: string | undefined, truth: boolean): { message: string; hint: string } {
  return { message: `read '${written}' as ${truth} (a YAML 1.1 boolean, as mgmt reads it)`, hint: key === undefined ? `write ${truth} there` : `write ${key}: ${truth}` };
}
