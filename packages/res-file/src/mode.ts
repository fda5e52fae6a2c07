/**
 * File modes as the `mode` param writes them: an octal string (`"0640"`),
 * a symbolic assignment list (`"u=rw,g=r,o="`), or a YAML integer read as
 * its octal digits, as mgmt reads it. Only `=` clauses are allowed, as in mgmt: a declarative
 * graph states what the bits are, not how to change them.
 */

const MAX_MODE = 0o7777;

/** A parsed mode: absolute bits, or clauses applied to the current mode. */
export type ModeSpec =
  | { readonly kind: 'absolute'; readonly bits: number }
  | { readonly kind: 'symbolic'; readonly clauses: readonly SymbolicClause[] };

/** One `who=perms` clause: the bits it owns and the ones it turns on. */
interface SymbolicClause {
  readonly affected: number;
  readonly set: number;
}

const WHO_BITS: Readonly<Record<string, number>> = { u: 0o4700, g: 0o2070, o: 0o1007 };
const PERM_BITS: Readonly<Record<string, number>> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };

function parseClause(clause: string): SymbolicClause | string {
  const match = /^([ugoa]*)=([rwxst]*)$/.exec(clause);
  if (!match) return `"${clause}" is not a clause of the form who=perms (who from ugoa, perms from rwxst)`;
  const who = match[1] === '' ? 'a' : (match[1] ?? 'a');
  let affected = 0;
  for (const letter of who) affected |= letter === 'a' ? 0o7777 : (WHO_BITS[letter] ?? 0);
  let perms = 0;
  for (const letter of match[2] ?? '') perms |= PERM_BITS[letter] ?? 0;
  return { affected, set: perms & affected };
}

/**
 * An unquoted mode without a leading zero (`mode: 644`, `mode: 400`) is read
 * as the octal digits it is written with, as mgmt reads it (its YAML reader
 * hands the text to a string param, parsed in base 8): 644 is 0644, 400 is
 * 0400. Digits 8 or 9 make no octal mode and are refused.
 */
function parseIntegerMode(mode: number): ModeSpec | string {
  const digits = String(mode);
  if (!Number.isInteger(mode) || !/^[0-7]{1,5}$/.test(digits)) {
    return `${mode} is not an octal mode: an unquoted mode is read as octal digits (0 to 7), as in mgmt; write it as "0644" or u=rw,g=r,o=r`;
  }
  const bits = Number.parseInt(digits, 8);
  if (bits > MAX_MODE) return `${mode} is larger than 07777`;
  return { kind: 'absolute', bits };
}

/**
 * What parseMode made of each mode it was given: a graph has a few modes
 * for thousands of files, and each file's first check parsed its own (two
 * patterns and an object each). Results are read-only, so shared. Bounded:
 * emptied when a long run of reloads has brought many different modes.
 */
const parsedModes = new Map<string | number, ModeSpec | string>();
const PARSED_MODES_KEPT = 256;

/** Parses a `mode` param; returns a message when it is not a valid mode. */
export function parseMode(mode: string | number): ModeSpec | string {
  let parsed = parsedModes.get(mode);
  if (parsed === undefined) {
    if (parsedModes.size >= PARSED_MODES_KEPT) parsedModes.clear();
    parsed = parseModeText(mode);
    parsedModes.set(mode, parsed);
  }
  return parsed;
}

function parseModeText(mode: string | number): ModeSpec | string {
  if (typeof mode === 'number') return parseIntegerMode(mode);
  // "0o640" quoted means what 0o640 unquoted does.
  const octal = /^0o[0-7]{1,4}$/.test(mode) ? mode.slice(2) : mode;
  if (/^[0-7]{1,5}$/.test(octal)) {
    const bits = Number.parseInt(octal, 8);
    if (bits > MAX_MODE) return `"${mode}" is larger than 07777`;
    return { kind: 'absolute', bits };
  }
  // Digits that are not all octal ("0999", "0o8"): meant as an octal mode, so say that, not "not a who=perms clause".
  if (/^(0o)?\d+$/.test(mode)) return `"${mode}" is not an octal mode: its digits must be 0 to 7`;
  const clauses: SymbolicClause[] = [];
  let assigned = 0;
  for (const part of mode.split(',')) {
    const clause = parseClause(part);
    if (typeof clause === 'string') return `mode "${mode}": ${clause}`;
    // As in mgmt: each of u, g and o is assigned once; a second clause for one is almost surely a typo.
    const again = (['u', 'g', 'o'] as const).filter((who) => (clause.affected & (WHO_BITS[who] as number) & assigned & 0o777) !== 0);
    if (again.length > 0) return `mode "${mode}": ${again.join(', ')} ${again.length === 1 ? 'is' : 'are'} assigned more than once; give each of u, g and o one clause`;
    assigned |= clause.affected;
    clauses.push(clause);
  }
  return { kind: 'symbolic', clauses };
}

/** The mode bits the spec asks for, given the bits the path has now (or would get by default). */
export function resolveMode(spec: ModeSpec, current: number): number {
  if (spec.kind === 'absolute') return spec.bits;
  let bits = current & MAX_MODE;
  for (const clause of spec.clauses) bits = (bits & ~clause.affected) | clause.set;
  return bits;
}

/** `0640`-style text for logs and reversal params. */
export function formatMode(bits: number): string {
  return `0${(bits & MAX_MODE).toString(8).padStart(3, '0')}`;
}
