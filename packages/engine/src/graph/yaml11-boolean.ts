/**
 * YAML 1.1 booleans, which YAML 1.2 (and so converge) reads as strings:
 * exactly the words of mgmt's reader (yaml.v2's resolve table), in the
 * three cases it knows each in. `true`, `True` and `TRUE` (and false's)
 * are booleans in YAML 1.2 as well; any other mix of cases (`yEs`, `oN`,
 * `tRUE`) is a string to both readers, refused as `"true"` is.
 */
const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/** The hint for a YAML 1.1 boolean (`yes`, `off`…) where a boolean is wanted; undefined for any other value. */
export function yaml11BooleanHint(value: unknown): string | undefined {
  if (yaml11Boolean(value) === undefined) return undefined;
  return `YAML 1.2 reads ${String(value)} as a string, not a boolean: write true or false`;
}

/** A YAML 1.1 boolean written as text, as the boolean it means there; undefined for any other value. */
export function yaml11Boolean(value: unknown): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  return YAML11_TRUE.has(value) ? true : YAML11_FALSE.has(value) ? false : undefined;
}

/** `true` or `false` as text (written in quotes), in a case YAML 1.2 reads as a boolean when plain; undefined for any other value. */
export function quotedBooleanText(value: unknown): boolean | undefined {
  if (typeof value !== 'string' || !/^(true|True|TRUE|false|False|FALSE)$/.test(value)) return undefined;
  return value.toLowerCase() === 'true';
}

/** What a warning says of a YAML 1.1 boolean read as one: `written` as it stands in the graph (`force: yes`); no key for a list's entry. */
export function yaml11BooleanRead(written: string, key: string | undefined, truth: boolean): { message: string; hint: string } {
  return { message: `read '${written}' as ${truth} (a YAML 1.1 boolean, as mgmt reads it)`, hint: key === undefined ? `write ${truth} there` : `write ${key}: ${truth}` };
}
