import { EngineError, type AnyResourceDefinition, type SourceLocation, type ValidationIssue } from '@converge/engine-api';
import type { TSchema } from '@sinclair/typebox';
import { isDeepStrictEqual } from 'node:util';
import { runValidate } from './param-check.js';
import { schemaChecker, type SchemaChecker } from './schema-checker.js';
import { describeSchema } from './schema-describe.js';
import type { ResolvedEdge, ResolvedResource, ResourceSpec } from './spec.js';
import { typeSamples } from './type-samples.js';

type Params = Readonly<Record<string, unknown>>;

/** Shorter samples ('0', '') may stand in a message for other reasons (a count, a line). */
const MIN_QUOTED_SAMPLE_LENGTH = 3;

/**
 * A param that an edge fills at run time, but that the receiver's other
 * params leave no room for (a file's content with `state: absent`): the
 * kind's own `validate` would refuse the graph if the param were written,
 * yet with a received value it only fails at run time, after other
 * resources have changed. Found here, at load, with every kind's own
 * checks: the param is filled with values of the type the sender declares,
 * and refused only when
 *
 * - every sample (two at least, unless they are all the values the type
 *   holds) breaks the same check, with the same words: a check of the value
 *   itself (absolute, a whole number) is met by some of the unlike samples,
 *   and a message that quotes the value differs between them; and
 * - changing or leaving out one of the receiver's other params makes that
 *   check pass for every sample: a conflict between params, which no value
 *   can settle. A check that no other param moves is about the value, and
 *   the samples may only have missed what it wants (a format): left to the
 *   run, which checks the value received.
 *
 * No sample reaches a message: only a check worded alike for all of them is
 * told, and not one that quotes any of them.
 */
export function checkReceivedConflicts(
  edges: readonly ResolvedEdge[],
  resources: ReadonlyMap<string, ResolvedResource>,
  kinds: ReadonlyMap<string, AnyResourceDefinition>,
  written: ReadonlyMap<string, ResourceSpec>,
  problems: EngineError[],
): void {
  const receivedBy = new Map<string, Set<string>>();
  for (const edge of edges) if (edge.recv !== undefined) receivedBy.set(edge.to, (receivedBy.get(edge.to) ?? new Set()).add(edge.recv));
  for (const edge of edges) {
    if (edge.send === undefined || edge.recv === undefined) continue;
    const receiver = resources.get(edge.to);
    const sender = resources.get(edge.from);
    // A hidden resource does not run here: it never takes in what it receives.
    if (!receiver || !sender || receiver.meta.hidden) continue;
    const definition = kinds.get(receiver.kind);
    const sendSchema = (kinds.get(sender.kind)?.sends?.properties as Record<string, TSchema> | undefined)?.[edge.send];
    if (!definition?.validate || !sendSchema) continue;
    const conflict = receivedConflict(definition, receiver, edge.recv, sendSchema, receivedBy.get(edge.to) ?? new Set());
    if (conflict) problems.push(conflictError(edge, receiver, sendSchema, conflict, written.get(edge.to)));
  }
}

interface Conflict {
  readonly issue: ValidationIssue;
  /** The receiver's other params that, changed or left out, let the received param be. */
  readonly with: readonly string[];
}

function receivedConflict(definition: AnyResourceDefinition, resource: ResolvedResource, param: string, sendSchema: TSchema, received: ReadonlySet<string>): Conflict | undefined {
  const checker = schemaChecker(definition.params);
  const filled = (params: Params, value: unknown): Record<string, unknown> => checker.withDefaults({ ...params, [param]: structuredClone(value) });
  const { values, exhaustive } = typeSamples(sendSchema);
  // A sample the param's schema refuses fails at run time for its type alone: only those it takes say anything of the other params.
  const samples = values.filter((value) => checker.check(filled(resource.params, value)));
  if (samples.length === 0 || (samples.length < 2 && !(exhaustive && samples.length === values.length))) return undefined;
  const quoted = samples.filter((value): value is string => typeof value === 'string' && value.length >= MIN_QUOTED_SAMPLE_LENGTH);
  const errors = samples.map((value) => errorsOf(definition, filled(resource.params, value), resource.name));
  const [first, ...others] = errors;
  const everyTime = (first ?? []).filter((issue) => others.every((issues) => issues.some((other) => sameIssue(issue, other))));
  for (const issue of everyTime) {
    if (quoted.some((value) => issue.message.includes(value) || issue.hint?.includes(value))) continue;
    // Settled: gone for every sample, and no refusal in its place (a reworded one, `owner and group make no sense`, is the same conflict).
    const settled = (variant: Params): boolean =>
      samples.every((value, index) => {
        const params = filled(variant, value);
        const before = errors[index] ?? [];
        return checker.check(params) && errorsOf(definition, params, resource.name).every((other) => !sameIssue(issue, other) && before.some((old) => sameIssue(old, other)));
      });
    const others = Object.keys(definition.params.properties ?? {}).filter((other) => other !== param && !received.has(other));
    const conflicting = others.filter((other) => variantsOf(definition, checker, resource.params, other).some(settled));
    if (conflicting.length > 0) return { issue, with: conflicting };
  }
  return undefined;
}

/** The params with `other` left out (when it may be) or set to another value of its type. */
function variantsOf(definition: AnyResourceDefinition, checker: SchemaChecker, params: Params, other: string): Params[] {
  const variants: Params[] = [];
  const required = new Set(Array.isArray(definition.params.required) ? (definition.params.required as string[]) : []);
  if (Object.hasOwn(params, other) && !required.has(other)) {
    const { [other]: _left, ...without } = params;
    variants.push(checker.withDefaults({ ...without }));
  }
  const schema = (definition.params.properties as Record<string, TSchema>)[other];
  for (const value of schema ? typeSamples(schema).values : []) {
    if (!isDeepStrictEqual(value, params[other])) variants.push({ ...params, [other]: structuredClone(value) });
  }
  return variants;
}

/** The kind's refusals (not its warnings, nor a throw, which says nothing of the params). */
function errorsOf(definition: AnyResourceDefinition, params: Params, name: string): ValidationIssue[] {
  return runValidate(definition, params, name).filter((issue) => issue.severity !== 'warning' && issue.cause === undefined);
}

function sameIssue(a: ValidationIssue, b: ValidationIssue): boolean {
  return a.param === b.param && a.message === b.message && isDeepStrictEqual(a.at ?? [], b.at ?? []);
}

function conflictError(edge: ResolvedEdge, receiver: ResolvedResource, sendSchema: TSchema, conflict: Conflict, spec: ResourceSpec | undefined): EngineError {
  const param = edge.recv as string;
  const where = (other: string): string => {
    // A param left out is its default, and the name param is the name: said where the resource starts.
    const location: SourceLocation | undefined = spec?.paramLocations.get(other) ?? receiver.location;
    return location ? ` (at ${location.file}:${location.line})` : '';
  };
  const named = conflict.with.map((other) => `'${other}'${where(other)}`).join(', ');
  const issue = conflict.issue.param && conflict.issue.param !== param ? `param '${conflict.issue.param}': ${conflict.issue.message}` : conflict.issue.message;
  const kindHint = conflict.issue.hint ? ` (kind '${receiver.kind}' says: ${conflict.issue.hint})` : '';
  const location = edge.location ?? receiver.location;
  return new EngineError(
    'ERR_SEND_RECV',
    `param '${param}' is received from ${edge.from} ('${edge.send as string}') but conflicts with ${named}: ${issue}, whatever ${describeSchema(sendSchema)} is received`,
    {
      resource: receiver.id,
      phase: 'validate',
      ...(location ? { location } : {}),
      hint: `change or leave out ${conflict.with.map((other) => `'${other}'`).join(' or ')}, or receive '${edge.send as string}' into a resource whose params allow it${kindHint}`,
    },
  );
}
