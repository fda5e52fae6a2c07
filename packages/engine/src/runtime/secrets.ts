import type { AnyResourceDefinition, EngineError } from '@converge/engine-api';
import { literalAlternation } from './literal-pattern.js';
import { redactedError } from './redacted-error.js';

/** What a secret is replaced by in logs and errors. */
export const MASK = '[secret]';

/** Secret send keys by kind, worked out once per definition (every send asks). */
const secretKeysByKind = new WeakMap<AnyResourceDefinition, ReadonlySet<string>>();

/** The send keys of a kind whose schema says `secret: true`. */
export function secretSendKeys(definition: AnyResourceDefinition): ReadonlySet<string> {
  let keys = secretKeysByKind.get(definition);
  if (!keys) {
    const properties = (definition.sends?.properties ?? {}) as Record<string, { secret?: unknown }>;
    keys = new Set(Object.entries(properties).flatMap(([key, schema]) => (schema.secret === true ? [key] : [])));
    secretKeysByKind.set(definition, keys);
  }
  return keys;
}

/** How deep log fields are walked for secrets. */
const MAX_FIELD_DEPTH = 8;

/** Secrets shorter than this are masked only where they stand alone (see SecretValues.mask). */
const SHORT_SECRET_LENGTH = 4;

/** One alternation of every secret, longest first; short ones only as whole tokens. */
function secretPattern(values: ReadonlySet<string>): RegExp {
  return literalAlternation(values, (escaped, value) => (value.length < SHORT_SECRET_LENGTH ? `(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])` : escaped));
}

/**
 * The secret values sent in this engine (a password sent into a file's
 * content or an exec's command). Whatever resource received one, a log line
 * or an error that would show it shows the mask instead. Values are kept
 * while the engine runs: a rotated password stays masked too. However short
 * a secret is, it is masked where it stands alone (a command line, a user
 * name); a long one wherever it occurs.
 */
export class SecretValues {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  get size(): number {
    return this.#values.size;
  }

  add(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0 || this.#values.has(value)) return;
    this.#values.add(value);
    this.#pattern = undefined;
  }

  /**
   * Every secret replaced by the mask, in one pass (a mask is never masked
   * again, which would show what the secret is), longest first. A secret
   * shorter than SHORT_SECRET_LENGTH is replaced only as a whole token (not
   * next to a letter or digit): in the middle of words it would garble them
   * and, by where it was cut, give itself away.
   */
  mask(text: string): string {
    if (this.#values.size === 0) return text;
    this.#pattern ??= secretPattern(this.#values);
    return maskCutSecrets(text.replace(this.#pattern, MASK), this.#values);
  }

  /** Log fields with every string in them masked (nested values included). */
  maskFields<T>(fields: T): T {
    if (this.#values.size === 0) return fields;
    return this.#maskValue(fields) as T;
  }

  /** The error as it may be shown: the same error when it holds no secret. */
  maskError(error: EngineError): EngineError {
    if (this.#values.size === 0) return error;
    return redactedError(error, (text) => this.mask(text));
  }

  #maskValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.mask(value);
    // Deeper than any log field worth writing: what is below is left out, not shown unmasked.
    if (depth > MAX_FIELD_DEPTH) return '[…]';
    if (Array.isArray(value)) return value.map((item) => this.#maskValue(item, depth + 1));
    // An error logged as a field (`{ err }`, the usual way): its message,
    // stack and cause may hold a secret, as a thrown one's do.
    if (value instanceof Error) return this.#maskedError(value, depth);
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.mask(key), this.#maskValue(item, depth + 1)]));
    }
    return value;
  }

  #maskedError(error: Error, depth: number): Error {
    const copy = new Error(this.mask(error.message));
    copy.name = error.name;
    copy.stack = error.stack === undefined ? undefined : this.mask(error.stack);
    if (error.cause !== undefined) copy.cause = this.#maskValue(error.cause, depth + 1);
    // Own fields an error carries (a code, a path, a command line).
    for (const [key, item] of Object.entries(error)) (copy as unknown as Record<string, unknown>)[this.mask(key)] = this.#maskValue(item, depth + 1);
    return copy;
  }
}

/** Marks that say text was cut there (`…` by res-exec's tails, `...` by others). */
const CUT_MARKS = /…|\.\.\./g;

/**
 * Text cut short to its last (or first) bytes can be cut inside a secret:
 * the piece left, right after (or before) the cut mark, is the end (or
 * start) of the secret, which the whole-value mask does not match. Any such
 * piece of a secret long enough to be masked anywhere is masked too,
 * however short the piece.
 */
function maskCutSecrets(text: string, secrets: ReadonlySet<string>): string {
  if (!text.includes('…') && !text.includes('...')) return text;
  const pieces: Array<[start: number, end: number]> = [];
  for (const mark of text.matchAll(CUT_MARKS)) {
    const before = mark.index;
    const after = mark.index + mark[0].length;
    const end = longestOverlap(secrets, (secret, length) => text.startsWith(secret.slice(secret.length - length), after));
    if (end > 0) pieces.push([after, after + end]);
    const start = longestOverlap(secrets, (secret, length) => length <= before && text.slice(before - length, before) === secret.slice(0, length));
    if (start > 0) pieces.push([before - start, before]);
  }
  if (pieces.length === 0) return text;
  pieces.sort((a, b) => a[0] - b[0]);
  let masked = '';
  let at = 0;
  for (const [start, end] of pieces) {
    if (start < at) continue;
    masked += `${text.slice(at, start)}${MASK}`;
    at = end;
  }
  return masked + text.slice(at);
}

/** The longest length (shorter than the secret) for which `fits` holds, over every secret; 0 when none. */
function longestOverlap(secrets: ReadonlySet<string>, fits: (secret: string, length: number) => boolean): number {
  let longest = 0;
  for (const secret of secrets) {
    // A short one is masked only standing alone (see SecretValues.mask): a letter or two after a cut is no more of it.
    if (secret.length < SHORT_SECRET_LENGTH) continue;
    for (let length = secret.length - 1; length > longest; length--) {
      if (fits(secret, length)) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}
