import type { AnyResourceDefinition, EngineError } from '@converge/engine-api';
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

/**
 * The secret values sent in this engine (a password sent into a file's
 * content or an exec's command). Whatever resource received one, a log line
 * or an error that would show it shows the mask instead. Values are kept
 * while the engine runs: a rotated password stays masked too. However short
 * a secret is, it is masked: a 3-character password garbles the messages it
 * occurs in, which is better than printing it.
 */
export class SecretValues {
  readonly #values = new Set<string>();

  get size(): number {
    return this.#values.size;
  }

  add(value: unknown): void {
    if (typeof value === 'string' && value.length > 0) this.#values.add(value);
  }

  mask(text: string): string {
    if (this.#values.size === 0) return text;
    let masked = text;
    for (const value of this.#values) if (masked.includes(value)) masked = masked.split(value).join(MASK);
    return masked;
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

  #maskValue(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((item) => this.#maskValue(item));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.#maskValue(item)]));
    }
    return value;
  }
}
