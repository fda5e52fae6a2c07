import type { AnyResourceDefinition, EngineError } from '@converge/engine-api';
import { LiteralSet } from './literal-set.js';
import { redactedError } from './redacted-error.js';

/** What a secret is replaced by in logs and errors. */
export const MASK = '[secret]';

/** What stands for a text whose masking failed: never the text itself, which may hold a secret. */
export const MASKING_FAILED = '[not shown: masking its secrets failed]';

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

const WORD_CHARACTER = /[A-Za-z0-9]/;

/** A secret found at `start` counts when it is long enough, or stands alone (no letter or digit either side). */
function secretFits(text: string, start: number, secret: string): boolean {
  if (secret.length >= SHORT_SECRET_LENGTH) return true;
  const end = start + secret.length;
  return !(start > 0 && WORD_CHARACTER.test(text.charAt(start - 1))) && !(end < text.length && WORD_CHARACTER.test(text.charAt(end)));
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
  #secrets: LiteralSet | undefined;

  get size(): number {
    return this.#values.size;
  }

  add(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0 || this.#values.has(value)) return;
    this.#values.add(value);
    this.#secrets = undefined;
  }

  /**
   * Every secret replaced by the mask, in one pass (a mask is never masked
   * again, which would show what the secret is), longest first. A secret
   * shorter than SHORT_SECRET_LENGTH is replaced only as a whole token (not
   * next to a letter or digit): in the middle of words it would garble them
   * and, by where it was cut, give itself away. Never throws: what masks
   * the error of a failure must not fail itself (that lost the error and
   * printed the secrets); a text it cannot mask is shown as MASKING_FAILED.
   */
  mask(text: string): string {
    if (this.#values.size === 0) return text;
    try {
      this.#secrets ??= new LiteralSet(this.#values, secretFits);
      return maskCutSecrets(this.#secrets.replace(text, () => MASK), this.#values);
    } catch {
      return MASKING_FAILED;
    }
  }

  /** Log fields with every string in them masked (nested values included); never throws (see mask). */
  maskFields<T>(fields: T): T {
    if (this.#values.size === 0) return fields;
    try {
      return this.#maskValue(fields) as T;
    } catch {
      // A getter or a proxy that throws as the fields are walked: nothing of them is shown.
      return { fields: MASKING_FAILED } as T;
    }
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
    const end = longestSecretEnd(text, after, secrets);
    if (end > 0) pieces.push([after, after + end]);
    const start = longestSecretStart(text, before, secrets);
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

/**
 * The longest end of a secret (not all of it) that `text` goes on with at
 * `at`, over every secret; 0 when none. Only the places of the secret that
 * hold the text's next character are tried, and no end longer than the text
 * left: a password of 65,535 characters costs a scan of it, not one compare
 * per length.
 */
function longestSecretEnd(text: string, at: number, secrets: ReadonlySet<string>): number {
  if (at >= text.length) return 0;
  const next = text.charAt(at);
  let longest = 0;
  for (const secret of secrets) {
    // A short one is masked only standing alone (see SecretValues.mask): a letter or two after a cut is no more of it.
    if (secret.length < SHORT_SECRET_LENGTH) continue;
    for (let from = secret.indexOf(next, Math.max(1, secret.length - (text.length - at))); from >= 0 && secret.length - from > longest; from = secret.indexOf(next, from + 1)) {
      if (text.startsWith(secret.slice(from), at)) {
        longest = secret.length - from;
        break;
      }
    }
  }
  return longest;
}

/** The longest start of a secret (not all of it) that `text` holds right before `at`, over every secret; 0 when none (as longestSecretEnd, the other way). */
function longestSecretStart(text: string, at: number, secrets: ReadonlySet<string>): number {
  if (at === 0) return 0;
  const previous = text.charAt(at - 1);
  let longest = 0;
  for (const secret of secrets) {
    if (secret.length < SHORT_SECRET_LENGTH) continue;
    // `last`: the index in the secret of the start's last character.
    for (let last = secret.lastIndexOf(previous, Math.min(secret.length - 2, at - 1)); last >= 0 && last + 1 > longest; last = last === 0 ? -1 : secret.lastIndexOf(previous, last - 1)) {
      if (text.startsWith(secret.slice(0, last + 1), at - last - 1)) {
        longest = last + 1;
        break;
      }
    }
  }
  return longest;
}
