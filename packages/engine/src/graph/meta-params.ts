import { DEFAULT_META, EngineError, type MetaParams, type SourceLocation } from '@converge/engine-api';
import { unknownNameHint } from './did-you-mean.js';
import { quotedBooleanText, yaml11Boolean, yaml11BooleanHint } from './yaml11-boolean.js';
import type { ResourceSpec } from './spec.js';
import { LONGEST_WAIT_MS } from '../runtime/longest-wait.js';

type MetaKey = keyof MetaParams;
/** Checks one metaparam value: the value to use, or a description of what was expected. */
type MetaRule = (value: unknown) => { ok: true; value: unknown } | { ok: false; expected: string };

const bool: MetaRule = (value) => (typeof value === 'boolean' ? { ok: true, value } : { ok: false, expected: 'true or false' });

function integerAtLeast(min: number): MetaRule {
  // Safe integers only: 1e100 is a whole number to JavaScript, and no count anyone means (QA).
  return (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min
      ? { ok: true, value }
      : { ok: false, expected: `a whole number >= ${min}${typeof value === 'number' && value > Number.MAX_SAFE_INTEGER ? ` and <= ${Number.MAX_SAFE_INTEGER}` : ''}` };
}


/** A duration >= 0 in units of `unitMs` milliseconds, no longer than a timer can wait. */
function duration(unitMs: number): MetaRule {
  const most = Math.floor(LONGEST_WAIT_MS / unitMs);
  return (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= most
      ? { ok: true, value }
      : { ok: false, expected: `a number from 0 to ${most} (about 24.8 days)` };
}

/** At least one run per LONGEST_WAIT_MS: the wait between runs is a timer too (and 0 would wait forever). */
const SLOWEST_RATE = 1000 / LONGEST_WAIT_MS;

const rateLimit: MetaRule = (value) =>
  typeof value === 'number' && value >= SLOWEST_RATE
    ? { ok: true, value }
    : { ok: false, expected: `a number of runs per second >= ${SLOWEST_RATE.toPrecision(3)} (one per 24.8 days), or .inf for no limit` };

function stringList(item: (entry: string) => string | undefined, expected: string): MetaRule {
  return (value) => {
    if (!Array.isArray(value)) return { ok: false, expected };
    for (const entry of value) {
      if (typeof entry !== 'string' || entry.trim() === '') return { ok: false, expected };
      const problem = item(entry);
      if (problem) return { ok: false, expected: `${expected} (${problem})` };
    }
    return { ok: true, value: Object.freeze([...value]) };
  };
}

/** `id` (size 1) or `id:N` with N >= 1; the size is after the last colon. */
function semaProblem(entry: string): string | undefined {
  if (entry === '') return 'a semaphore id is empty';
  if (/^[0-9]+$/.test(entry)) return `'${entry}' is a size without an id: write 'name:${entry}'`;
  const colon = entry.lastIndexOf(':');
  if (colon === -1) return undefined;
  const size = entry.slice(colon + 1);
  if (colon === 0) return `'${entry}' has no id before the colon`;
  return /^[1-9][0-9]*$/.test(size) ? undefined : `'${entry}': the size after ':' must be a whole number >= 1`;
}

const RULES: Readonly<Record<MetaKey, MetaRule>> = {
  noop: bool,
  retry: integerAtLeast(-1),
  retryreset: bool,
  delay: duration(1),
  timeout: duration(1),
  poll: (value) => {
    if (value === -1) return { ok: true, value };
    const checked = duration(1000)(value);
    return checked.ok ? checked : { ok: false, expected: `-1 (check once) or ${checked.expected}` };
  },
  limit: rateLimit,
  burst: integerAtLeast(0),
  sema: stringList(semaProblem, "a list of semaphores, each 'id' or 'id:N'"),
  autoedge: bool,
  autogroup: bool,
  rewatch: bool,
  reset: bool,
  hidden: bool,
  reverse: bool,
  realize: bool,
  export: stringList(() => undefined, "a list of host names ('*' for all)"),
};

const UNITS: Partial<Record<MetaKey, string>> = { delay: 'milliseconds', timeout: 'milliseconds', poll: 'seconds' };

export const META_KEYS: readonly string[] = Object.keys(RULES);

/** A valid value of each metaparam, for hints. */
const META_EXAMPLES: Record<MetaKey, string> = {
  noop: 'true',
  retry: '3 (-1 retries forever)',
  retryreset: 'true',
  delay: '500',
  timeout: '30000',
  poll: '60 (0 watches instead, -1 checks once)',
  limit: '2.5',
  burst: '1',
  sema: '[name] or [name:2]',
  rewatch: 'true',
  autoedge: 'false',
  autogroup: 'false',
  reset: 'true',
  hidden: 'true',
  reverse: 'true',
  realize: 'true',
  export: "['*'] or [host1, host2]",
};

/**
 * Names written for a metaparam under another name (lower case, without `-`
 * and `_`), which the spelling hint cannot find: `retrydelay` is closer to
 * `retry` than to `delay` (QA).
 */
const META_SYNONYMS: Readonly<Record<string, { readonly key: MetaKey; readonly what: string }>> = {
  retrydelay: { key: 'delay', what: 'the seconds between retries' },
  retrywait: { key: 'delay', what: 'the seconds between retries' },
  retryinterval: { key: 'delay', what: 'the seconds between retries' },
  pollint: { key: 'poll', what: 'check every N seconds instead of watching' },
  pollinterval: { key: 'poll', what: 'check every N seconds instead of watching' },
  interval: { key: 'poll', what: 'check every N seconds instead of watching' },
};

/** The hint for an unknown metaparam: a known synonym first, else the closest spellings. */
function unknownMetaHint(key: string): string | undefined {
  const plain = key.toLowerCase().replaceAll(/[-_]/g, '');
  // Own keys only: `constructor` is not a synonym.
  const synonym = Object.hasOwn(META_SYNONYMS, plain) ? META_SYNONYMS[plain] : undefined;
  return synonym ? `did you mean '${synonym.key}'? (${synonym.what})` : unknownNameHint(key, META_KEYS, 'metaparams');
}

function isMetaKey(key: string): key is MetaKey {
  return Object.hasOwn(RULES, key);
}

/**
 * Checks a resource's `meta:` values and merges them over DEFAULT_META.
 * Problems (ERR_META_INVALID) are appended to `problems`.
 */
export function resolveMeta(resource: ResourceSpec, id: string, problems: EngineError[]): MetaParams {
  const merged: Record<string, unknown> = { ...DEFAULT_META };
  for (const [key, value] of Object.entries(resource.meta)) {
    const location: SourceLocation = resource.metaLocations.get(key) ?? resource.location;
    if (!isMetaKey(key)) {
      problems.push(
        new EngineError('ERR_META_INVALID', `unknown metaparam '${key}'`, {
          resource: id,
          phase: 'validate',
          location: resource.keyLocations?.get(`meta/${key}`) ?? location,
          hint: unknownMetaHint(key),
        }),
      );
      continue;
    }
    const result = RULES[key](value);
    if (result.ok) {
      merged[key] = result.value;
      continue;
    }
    const unit = UNITS[key] ? ` in ${UNITS[key]}` : '';
    const yaml11 = result.expected.includes('true') ? booleanHint(resource, key, value) : undefined;
    problems.push(
      new EngineError('ERR_META_INVALID', `metaparam '${key}' must be ${result.expected}${unit}, not ${writtenMeta(resource, key) ?? describeValue(value)}`, {
        resource: id,
        phase: 'validate',
        location,
        // A boolean's example would say one of the two, maybe the opposite of what was meant (QA: "0" told to write true).
        hint: yaml11 ?? (result.expected.includes('true') ? `write ${key}: true or false` : `write ${key}: ${META_EXAMPLES[key]}`),
      }),
    );
  }
  return Object.freeze(merged) as unknown as MetaParams;
}

/**
 * What to write for a boolean metaparam written as a word: a plain YAML 1.1
 * one (`yes`) is text in YAML 1.2; a quoted one (`"yes"`, `"true"`) is text
 * in both, and says which boolean it means (QA: `"yes"` was told to write
 * the opposite, the metaparam's example).
 */
function booleanHint(resource: ResourceSpec, key: string, value: unknown): string | undefined {
  // Plain, `true` in these cases is a boolean: as text it was quoted. Another case (`tRUE`) is text plain too, and neither of the two is suggested.
  const quoted = resource.quotedBooleanWords?.has(`meta/${key}`) === true || quotedBooleanText(value) !== undefined;
  if (!quoted) return yaml11BooleanHint(value);
  const truth = yaml11Boolean(value) ?? quotedBooleanText(value);
  return truth === undefined ? undefined : `write ${key}: ${truth}, without quotes`;
}

/** A metaparam's number as the graph writes it (9007199254740993, 1e400), when the YAML reader kept it. */
function writtenMeta(resource: ResourceSpec, key: string): string | undefined {
  const value = resource.meta[key];
  return typeof value === 'number' ? resource.scalarTexts?.get(`meta/${key}`) : undefined;
}

/** A value as written in YAML: `.inf` for infinity (JSON would say null). */
function describeValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  return JSON.stringify(value) ?? String(value);
}
