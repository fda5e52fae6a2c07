import { EngineError, type AnyResourceDefinition, type SourceLocation, type ValidationIssue } from '@converge/engine-api';
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { unknownNameHint } from './did-you-mean.js';
import { META_KEYS } from './meta-params.js';
import { PerParamLimit } from './per-param-limit.js';
import { describeParamPath, paramPathLocation } from './param-path.js';
import { keepWrittenForms, readScalarsAsText } from './scalars-as-text.js';
import { pathSegments, unionMemberOfShape } from './schema-paths.js';
import { schemaChecker, type SchemaChecker } from './schema-checker.js';
import { keysMeantByUnknown, unknownKeyHint } from './unknown-keys.js';
import { yaml11BooleanHint } from './yaml11-boolean.js';
import { describeSchema, describeValue } from './schema-describe.js';
import type { GraphWarning, ResourceSpec } from './spec.js';
import { pluginCallFailure } from './plugin-call-failure.js';
import { dashReadAsKeyHint, dashWithoutSpace } from '../yaml/dash-key.js';

/**
 * Checks one resource's params against its kind: unknown params, the name
 * param filled from the name, schema defaults, types (a whole number or a
 * boolean written for a text param is read as its text, with a warning, as
 * mgmt reads it; nothing else is coerced), then the
 * kind's own `validate`. Returns the params to run with, or undefined when a
 * problem was appended to `problems`.
 *
 * `received` are params filled by send/recv at run time: they may be
 * missing (the edge's types are checked), but a value the graph writes for
 * one is checked as any other (it is the value until one is received).
 */
export function checkParams(
  definition: AnyResourceDefinition,
  resource: ResourceSpec,
  id: string,
  received: ReadonlySet<string>,
  problems: EngineError[],
  /** Warnings told at load: the kind's validate issues of severity `warning`, and those below. */
  warnings: GraphWarning[],
  /** A whole number or a boolean written for a text param is read as its text, with a warning (YAML graphs, as mgmt reads them). */
  scalarsAsText = false,
): Record<string, unknown> | undefined {
  const before = problems.length;
  const asTextWarnings = scalarsAsText ? warnings : undefined;
  // A param's segments down to the entry the error is about: its nearest written location.
  const where = (segments: readonly string[]): SourceLocation => paramPathLocation(resource, segments);
  // A key inside a param: where the key is written, as its value may start on a later line.
  const whereKey = (segments: readonly string[]): SourceLocation => resource.keyLocations?.get(segments.join('/')) ?? where(segments);
  // A number as the graph writes it (9007199254740993, 1e400), not as a double holds it (…992, Infinity).
  const asWritten = (value: unknown, segments: readonly string[]): string => {
    const text = typeof value === 'number' ? resource.scalarTexts?.get(segments.join('/')) : undefined;
    return text ?? describeValue(value);
  };
  const problem = (
    code: 'ERR_UNKNOWN_PARAM' | 'ERR_PARAM_TYPE' | 'ERR_PARAM_INVALID',
    message: string,
    at: string | readonly string[] | undefined,
    extra: { hint?: string; cause?: unknown; location?: SourceLocation } = {},
  ) => problems.push(new EngineError(code, message, { resource: id, phase: 'validate', location: where(at === undefined ? [] : typeof at === 'string' ? [at] : at), ...extra }));

  const properties = (definition.params.properties ?? {}) as Record<string, TSchema>;
  const known = Object.keys(properties);
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource.params)) {
    // Cloned so that defaults and send/recv never reach the spec; a text or number is its own copy.
    if (Object.hasOwn(properties, key)) params[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
    else problem('ERR_UNKNOWN_PARAM', `unknown param '${key}' for kind '${definition.kind}'`, key, { hint: unknownParamHint(key, definition.kind, known), location: whereKey([key]) });
  }
  const nameParam = definition.nameParam;
  if (nameParam !== undefined && Object.hasOwn(properties, nameParam) && !Object.hasOwn(params, nameParam)) {
    params[nameParam] = resource.name;
  }

  let filled: Record<string, unknown>;
  let errors: ValueError[];
  let checker: SchemaChecker;
  try {
    checker = schemaChecker(definition.params);
    keepWrittenForms(params, properties, asTextWarnings ? resource.scalarTexts : undefined);
    filled = checker.withDefaults(params);
    errors = checker.check(filled) ? [] : [...Value.Errors(definition.params, filled)];
    // As mgmt does: a whole number or a boolean written for a text param is its text, with a warning.
    const asText = errors.length === 0 || !asTextWarnings ? [] : readScalarsAsText(filled, errors, resource.scalarTexts);
    if (asText.length > 0) {
      for (const { path, value } of asText) {
        const place = describeParamPath(filled, path);
        // The value is not repeated: it may be a secret (a PIN, a password in env).
        asTextWarnings?.push({
          location: where(path),
          resource: id,
          message:
            value === null
              ? `${place}: read an empty value as the empty text, as mgmt does`
              : `${place}: read a ${typeof value === 'number' ? 'number' : 'boolean'} as the text it is written as, as mgmt does`,
          hint: value === null ? 'write "" to say it is empty text' : 'quote it to say it is text',
        });
      }
      errors = checker.check(filled) ? [] : [...Value.Errors(definition.params, filled)];
    }
  } catch (error) {
    problems.push(
      new EngineError('ERR_PLUGIN_INVALID', `the params schema of kind '${definition.kind}' cannot be checked: ${String(error)}`, {
        resource: id,
        phase: 'validate',
        location: resource.location,
        cause: error,
      }),
    );
    return undefined;
  }

  // Each entry that does not fit is told (not only the first of a param),
  // once, and not again below an entry already told; a param tells a few,
  // then how many more there are.
  const reported = new Set<string>();
  const typeLimit = new PerParamLimit();
  const meantByUnknown = keysMeantByUnknown(errors);
  for (const error of errors) {
    const segments = pathSegments(error.path);
    // Unknown params were reported above, with suggestions.
    if (error.type === ValueErrorType.ObjectAdditionalProperties && segments.length === 1) continue;
    const param = segments[0];
    // A received param is checked where the graph writes a value for it too: that value is used until one is received.
    if (param === undefined || (received.has(param) && !Object.hasOwn(resource.params, param))) continue;
    const told = segments.some((_, index) => reported.has(segments.slice(0, index + 1).join('/')));
    if (told) continue;
    reported.add(segments.join('/'));
    // A key missing inside a param that an unknown key beside it is misspelt as (`sourc`): the unknown key's hint says so.
    if (error.type === ValueErrorType.ObjectRequiredProperty && meantByUnknown.has(segments.join('/'))) continue;
    if (!typeLimit.admit(param, segments)) continue;
    const holder = describeParamPath(filled, segments.slice(0, -1));
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      // A key inside a param (an entry of a list, a nested mapping) its schema does not have: refused
      // as an unknown param is, or a misspelt key (`readonly`) would be dropped and its default used.
      const key = segments[segments.length - 1] as string;
      problem('ERR_UNKNOWN_PARAM', `${holder}: unknown key '${key}'`, segments, {
        hint: unknownKeyHint(error, key),
        location: whereKey(segments),
      });
      continue;
    }
    const expected = describeSchema(error.schema);
    if (error.type === ValueErrorType.ObjectRequiredProperty && segments.length > 1) {
      // A key missing inside a param (an entry of a list, a nested mapping): said there, at the param's line.
      const missing = segments[segments.length - 1] as string;
      problem('ERR_PARAM_TYPE', `${holder}: missing '${missing}' (${expected})`, segments.slice(0, -1), {
        hint: `add \`${missing}: ...\` there`,
      });
      continue;
    }
    if (error.type === ValueErrorType.ObjectRequiredProperty) {
      problem('ERR_PARAM_TYPE', `missing required param '${param}' (${expected})`, undefined, {
        hint: `add \`${param}: ...\` to the resource`,
      });
      continue;
    }
    // A list or a mapping that fits none of a union's forms: told at each
    // entry that does not fit the form of its own shape (a number in a
    // mapping of strings), not as the whole value.
    const deeper = error.type === ValueErrorType.Union ? entriesThatDoNotFit(error.schema, error.value) : [];
    if (deeper.length === 0) {
      problem('ERR_PARAM_TYPE', `${describeParamPath(filled, segments)}: expected ${expected}, got ${asWritten(error.value, segments)}`, segments, {
        hint: typeHint(error.value, expected),
      });
      continue;
    }
    for (const entry of deeper) {
      const at = [...segments, ...entry.path];
      if (!typeLimit.admit(param, at)) continue;
      const wanted = describeSchema(entry.schema);
      problem('ERR_PARAM_TYPE', `${describeParamPath(filled, at)}: expected ${wanted}, got ${asWritten(entry.value, at)}`, at, {
        hint: typeHint(entry.value, wanted),
      });
    }
  }
  for (const [param, { count, after }] of typeLimit.untold()) {
    problem('ERR_PARAM_TYPE', `param '${param}': ${count} more ${count === 1 ? 'entry does' : 'entries do'} not fit either`, after, {
      hint: 'fix the entries above, then validate again',
    });
  }
  // With params that do not fit, the kind's own checks still run on those
  // that do (when they make a whole set without the others), so that one
  // bad type does not hide the rest: a graph is reported in full.
  const misfits = problems.length > before ? new Set(errors.map((error) => pathSegments(error.path)[0] ?? '')) : undefined;
  const checkable = misfits ? withoutMisfits(filled, misfits, checker) : filled;
  if (checkable === undefined) return undefined;

  const issueLimit = new PerParamLimit();
  for (const issue of runValidate(definition, checkable, resource.name)) {
    // Told for a param that fits only; a throw on a partial set is no news.
    if (misfits && ((issue.param !== undefined && misfits.has(issue.param)) || issue.cause !== undefined)) continue;
    const at = issue.param === undefined ? undefined : [issue.param, ...(issue.at ?? []).map(String)];
    if (issue.severity === 'warning') {
      warnings.push({
        location: where(at ?? []),
        resource: id,
        message: issue.param ? `param '${issue.param}': ${issue.message}` : issue.message,
        ...(issue.hint ? { hint: issue.hint } : {}),
      });
      continue;
    }
    if (issue.param !== undefined && at !== undefined && !issueLimit.admit(issue.param, at)) continue;
    problem('ERR_PARAM_INVALID', issue.param ? `param '${issue.param}': ${issue.message}` : issue.message, at, {
      // Every problem comes with a hint, even from a plugin that gave none.
      hint: issue.hint || `see what kind '${definition.kind}' accepts${issue.param ? ` for '${issue.param}'` : ''} in its plugin's README`,
      ...(issue.cause === undefined ? {} : { cause: issue.cause }),
    });
  }
  for (const [param, { count, after }] of issueLimit.untold()) {
    problem('ERR_PARAM_INVALID', `param '${param}': ${count} more ${count === 1 ? 'problem' : 'problems'}`, after, {
      hint: 'fix the entries above, then validate again',
    });
  }
  return problems.length > before ? undefined : filled;
}

/** The params without those that do not fit, defaults filled; undefined when that is no whole set (a required one is among them). */
function withoutMisfits(params: Readonly<Record<string, unknown>>, misfits: ReadonlySet<string>, checker: SchemaChecker): Record<string, unknown> | undefined {
  const fitting = checker.withDefaults(Object.fromEntries(Object.entries(params).filter(([param]) => !misfits.has(param))));
  return checker.check(fitting) ? fitting : undefined;
}

/**
 * For a value that fits none of a union's forms: the entries that do not fit
 * the union member of the value's own shape (list or mapping), the first
 * error of each; none when no member has that shape.
 */
function entriesThatDoNotFit(union: TSchema, value: unknown): Array<{ path: string[]; schema: TSchema; value: unknown }> {
  if (value === null || typeof value !== 'object') return [];
  const member = unionMemberOfShape(union, value);
  if (!member) return [];
  const entries = new Map<string, { path: string[]; schema: TSchema; value: unknown }>();
  for (const error of Value.Errors(member, value)) {
    if (error.path === '') return [];
    const path = pathSegments(error.path);
    const entry = path[0] as string;
    if (!entries.has(entry)) entries.set(entry, { path, schema: error.schema, value: error.value });
  }
  return [...entries.values()];
}

/** The kind's validate: a throw counts as an issue, so one bad plugin cannot crash a load or a run. */
export function runValidate(
  definition: AnyResourceDefinition,
  params: Readonly<Record<string, unknown>>,
  name: string,
): Array<ValidationIssue & { cause?: unknown }> {
  try {
    return [...(definition.validate?.(params, name) ?? [])];
  } catch (error) {
    return [{ ...pluginCallFailure(definition.kind, 'validate', error), cause: error }];
  }
}


/** Params that graphs written for older mgmt releases carry, and what they are here. */
const LEGACY_PARAMS: Readonly<Record<string, string>> = {
  pollint: "mgmt's old pollint is the metaparam poll here: write meta: {poll: SECONDS}",
};

/**
 * What res-exec does where mgmt's exec sends its cancel_signal (see res-exec's
 * README, Processes): said for `cancelsignal` too, the struct field's name,
 * which users write (QA: it got only the list of params).
 */
const CANCEL_SIGNAL_HINT =
  "mgmt's cancel_signal is not in converge: on a timeout or an abort, converge sends SIGTERM to the command's whole process group, then SIGKILL to what is left 2 s later (an interrupt: SIGKILL at once); a command that must be stopped with another signal needs a wrapper that turns SIGTERM into it";

/** Params mgmt's kinds have and converge's do not, by `kind.param`: what to write instead. */
const MGMT_ONLY_PARAMS: Readonly<Record<string, string>> = {
  'exec.mtimes': "mgmt's mtimes is not in converge: list the files in watchfiles (a change runs cmd again), or guard cmd with ifcmd",
  'exec.cancel_signal': CANCEL_SIGNAL_HINT,
  'exec.cancelsignal': CANCEL_SIGNAL_HINT,
  'password.write': "mgmt's write is saved here: write saved: true (kept across restarts in the resource's var dir, mode 0600)",
  'password.alphabet': "mgmt's alphabet is not in converge: every character is drawn from A-Z, a-z and 0-9; for a stronger password raise length",
  'password.newline': "mgmt's newline is not in converge: the password is sent without one, so a file that receives it as content holds the password alone",
  'virt.auth': "mgmt's auth is not in converge: the connection is made with the uri alone; for a remote host put the user in it (qemu+ssh://user@host/system) with an ssh key",
  'file.dirname': 'a dirname ends with / and a basename does not start with /, as in mgmt, which builds the path from them; or write the whole path in path',
  'file.basename': 'a dirname ends with / and a basename does not start with /, as in mgmt, which builds the path from them; or write the whole path in path',
};

/** The keys of a resource's entry that are not params (the YAML reader takes them out). */
const RESOURCE_KEYS: ReadonlySet<string> = new Set(['name', 'meta']);

/** A hint for an unknown param: a metaparam or an old mgmt param written as a param, else the nearest names. */
function unknownParamHint(key: string, kind: string, known: readonly string[]): string {
  const legacy = LEGACY_PARAMS[key] ?? MGMT_ONLY_PARAMS[`${kind}.${key}`];
  if (legacy) return legacy;
  // `-state: exists` among a resource's keys: a known key with a dash before it, not a misspelling of it.
  const meant = dashWithoutSpace(key);
  if (meant !== undefined && (known.includes(meant) || RESOURCE_KEYS.has(meant))) return `${dashReadAsKeyHint(meant)}, or \`${meant}:\` for a key of this resource`;
  if (META_KEYS.includes(key)) return `${key} is a metaparam: write it under meta, as meta: {${key}: ...}`;
  // `Meta:` and `Name:` are the resource's own keys, written in lower case (a kind may have a param Name of its own, so this comes last but one).
  if (RESOURCE_KEYS.has(key.toLowerCase()) && !known.includes(key)) return `did you mean '${key.toLowerCase()}'? keys are written in lower case`;
  if (key === 'state') return `kind '${kind}' has no state: remove it (${unknownNameHint(key, known, 'params')})`;
  return unknownNameHint(key, known, 'params');
}

/** What to write instead of a value of the wrong type, where a likely mistake is known. */
function typeHint(value: unknown, expected: string): string {
  const yaml11 = expected.includes('boolean') ? yaml11BooleanHint(value) : undefined;
  if (yaml11) return yaml11;
  // A plain number with a leading zero is kept as the text it is written as (so that `mode: 0640` stays octal).
  if (typeof value === 'string' && /^[-+]?0\d+$/.test(value) && /number|integer/.test(expected)) {
    return `a number written with a leading zero is read as text (as modes are): write ${Number.parseInt(value, 10)}`;
  }
  // describeSchema says `whole number` for an integer.
  if (typeof value === 'string' && /number/.test(expected) && /^-?\d+(\.\d+)?$/.test(value)) return `write the number without quotes: ${value}`;
  // The value as YAML read it, which may not be as it is written (0x1F is 31): the user quotes what they wrote.
  // Not for a negative number: quoted, `owner: -1` would be a user named "-1".
  if (typeof value === 'number' && value >= 0 && expected.includes('string')) return `quote it, as written, to make it a string (YAML read it as the number ${value})`;
  // `cmd: true`, `name: yes`: YAML took the word for a boolean.
  if (typeof value === 'boolean' && expected.includes('string') && !expected.includes('boolean')) return `quote it, as written, to make it a string (YAML read it as ${value})`;
  return `write ${withArticle(expected)} there`;
}

/** `a string`, `an integer`; `one of …`, `true or false` and literal values as they are. */
function withArticle(expected: string): string {
  if (/^(one of|true or false|any value|null|nothing|value$|["'\d-])/.test(expected)) return expected;
  return `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
}
