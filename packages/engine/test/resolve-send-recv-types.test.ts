import { defineResource, EngineError, type AnyResourceDefinition } from '@converge/engine-api';
import { Type, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { GraphLoadError } from '../src/graph/load-error.js';
import { resolveGraph } from '../src/graph/resolve.js';
import { isAssignable } from '../src/graph/send-recv-types.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { mapResolver } from './fixtures/kinds.js';

const cases: ReadonlyArray<readonly [string, TSchema, TSchema, boolean]> = [
  ['string into string', Type.String(), Type.String(), true],
  ['string into number', Type.String(), Type.Number(), false],
  ['integer into number', Type.Integer(), Type.Number(), true],
  ['number into integer', Type.Number(), Type.Integer(), false],
  ['anything into unknown', Type.Array(Type.Number()), Type.Unknown(), true],
  ['unknown into string', Type.Unknown(), Type.String(), false],
  ['literal into string', Type.Literal('a'), Type.String(), true],
  ['literal into its enum', Type.Literal('a'), Type.Union([Type.Literal('a'), Type.Literal('b')]), true],
  ['literal outside the enum', Type.Literal('c'), Type.Union([Type.Literal('a'), Type.Literal('b')]), false],
  ['enum into string', Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.String(), true],
  ['enum into a wider enum', Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Union([Type.Literal('a'), Type.Literal('b'), Type.Literal('c')]), true],
  ['string into an enum', Type.String(), Type.Union([Type.Literal('a'), Type.Literal('b')]), false],
  ['union into a union that covers it', Type.Union([Type.String(), Type.Integer()]), Type.Union([Type.Number(), Type.String()]), true],
  ['union into one of its members', Type.Union([Type.String(), Type.Null()]), Type.String(), false],
  ['string into string or null', Type.String(), Type.Union([Type.String(), Type.Null()]), true],
  ['plain string into a pattern', Type.String(), Type.String({ pattern: '^[0-7]+$' }), true],
  ['same pattern', Type.String({ pattern: '^[0-7]+$' }), Type.String({ pattern: '^[0-7]+$' }), true],
  ['stricter minimum into a looser one', Type.Integer({ minimum: 5 }), Type.Integer({ minimum: 0 }), true],
  ['looser minimum into a stricter one', Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 5 }), true],
  ['literal meeting the bounds', Type.Literal(3), Type.Integer({ minimum: 0, maximum: 5 }), true],
  ['description does not matter', Type.String({ description: 'x' }), Type.String({ description: 'y' }), true],
  ['array of integer into array of number', Type.Array(Type.Integer()), Type.Array(Type.Number()), true],
  ['array of string into array of number', Type.Array(Type.String()), Type.Array(Type.Number()), false],
  ['array into string', Type.Array(Type.String()), Type.String(), false],
  [
    'object with the required keys',
    Type.Object({ a: Type.String(), b: Type.Integer() }),
    Type.Object({ a: Type.String(), b: Type.Optional(Type.Number()) }),
    true,
  ],
  ['object missing a required key', Type.Object({ a: Type.String() }), Type.Object({ a: Type.String(), b: Type.String() }), false],
  ['optional key into a required one', Type.Object({ a: Type.Optional(Type.String()) }), Type.Object({ a: Type.String() }), false],
  ['open object into a closed one', Type.Object({ a: Type.String() }), Type.Object({ a: Type.String() }, { additionalProperties: false }), false],
  ['equal records', Type.Record(Type.String(), Type.String()), Type.Record(Type.String(), Type.String()), true],
  ['different records', Type.Record(Type.String(), Type.Number()), Type.Record(Type.String(), Type.String()), false],
];

const LETTERS = Type.Union([Type.Literal('a'), Type.Literal('b')]);

/** Value constraints are checked at run time, when the value is known; types are checked at load time. */
const constraintCases: ReadonlyArray<readonly [string, TSchema, TSchema, boolean]> = [
  ['string into a minLength string', Type.String(), Type.String({ minLength: 1 }), true],
  ['string into a bounded, formatted string', Type.String(), Type.String({ minLength: 1, maxLength: 8, format: 'uri' }), true],
  ['string into a pattern string or null', Type.String(), Type.Union([Type.String({ pattern: '^/' }), Type.Null()]), true],
  ['integer into a bounded number', Type.Integer(), Type.Number({ minimum: 0, maximum: 10, multipleOf: 2 }), true],
  ['list into a list with item counts', Type.Array(Type.String()), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }), true],
  ['mapping into one with constrained values', Type.Object({ a: Type.String() }), Type.Object({ a: Type.String({ pattern: '^x' }) }, { minProperties: 1 }), true],
  ['record into one with constrained values', Type.Record(Type.String(), Type.String()), Type.Record(Type.String(), Type.String({ minLength: 1 })), true],
  ['tuple into one with constrained elements', Type.Tuple([Type.String(), Type.Integer()]), Type.Tuple([Type.String({ minLength: 1 }), Type.Number({ minimum: 0 })]), true],
  ['tuple into a list of its element type', Type.Tuple([Type.String(), Type.String()]), Type.Array(Type.String({ minLength: 1 })), true],
  ['number into a minLength string', Type.Number(), Type.String({ minLength: 1 }), false],
  ['integer into a minLength string', Type.Integer(), Type.String({ minLength: 1 }), false],
  ['string into a bounded integer', Type.String(), Type.Integer({ minimum: 0 }), false],
  ['number into a bounded integer', Type.Number({ minimum: 1 }), Type.Integer({ minimum: 0 }), false],
  ['string into boolean', Type.String({ minLength: 1 }), Type.Boolean(), false],
  ['string into a literal-union param', Type.String(), Type.Optional(LETTERS), false],
  ['constrained string into a literal-union param', Type.String({ minLength: 1, pattern: '^[ab]$' }), LETTERS, false],
  ['string into a JSON enum', Type.String(), Type.Unsafe<string>({ type: 'string', enum: ['a', 'b'] }), false],
  ['JSON enum into string', Type.Unsafe<string>({ type: 'string', enum: ['a', 'b'] }), Type.String({ minLength: 1 }), true],
  ['JSON enum into a narrower enum', Type.Unsafe<string>({ type: 'string', enum: ['a', 'b'] }), Type.Literal('a'), false],
  ['literal that breaks the constraint', Type.Literal(''), Type.String({ minLength: 1 }), false],
  ['literal above the maximum', Type.Literal(7), Type.Integer({ minimum: 0, maximum: 5 }), false],
  ['list of number into a list of constrained string', Type.Array(Type.Number()), Type.Array(Type.String({ minLength: 1 })), false],
  ['mapping with a number into one with a constrained string', Type.Object({ a: Type.Number() }), Type.Object({ a: Type.String({ minLength: 1 }) }), false],
  ['mapping missing a constrained required key', Type.Object({}), Type.Object({ a: Type.String({ minLength: 1 }) }), false],
  ['record of number into one of constrained string', Type.Record(Type.String(), Type.Number()), Type.Record(Type.String(), Type.String({ minLength: 1 })), false],
  ['record with other keys', Type.Record(Type.String(), Type.String()), Type.Record(Type.Number(), Type.String()), false],
  ['tuple of another length', Type.Tuple([Type.String()]), Type.Tuple([Type.String(), Type.String()]), false],
  ['list into a tuple', Type.Array(Type.String()), Type.Tuple([Type.String()]), false],
  ['tuple with a number into a list of string', Type.Tuple([Type.String(), Type.Number()]), Type.Array(Type.String()), false],
];

describe('isAssignable', () => {
  it.each(cases)('%s', (_name, from, to, expected) => {
    expect(isAssignable(from, to)).toBe(expected);
  });

  it.each(constraintCases)('ignores value constraints, not types: %s', (_name, from, to, expected) => {
    expect(isAssignable(from, to)).toBe(expected);
  });
});

/** Shaped like the exec and file plugins: cmd and source are strings with minLength 1. */
const exec = defineResource({
  kind: 'exec',
  params: Type.Object({ cmd: Type.String({ minLength: 1 }), timeout: Type.Optional(Type.Integer({ minimum: 0 })) }),
  nameParam: 'cmd',
  sends: Type.Object({ stdout: Type.String(), exitcode: Type.Integer() }),
  create: () => ({ checkApply: () => true }),
});
const file = defineResource({
  kind: 'file',
  params: Type.Object({
    path: Type.String({ minLength: 1 }),
    source: Type.Optional(Type.String({ minLength: 1 })),
    mode: Type.Optional(Type.String({ pattern: '^[0-7]{3,4}$' })),
    state: Type.Optional(Type.Union([Type.Literal('exists'), Type.Literal('absent')])),
  }),
  nameParam: 'path',
  create: () => ({ checkApply: () => true }),
});
const kinds = mapResolver([exec, file] as unknown as AnyResourceDefinition[]);

async function load(to: 'exec' | 'file', send: string, recv: string): Promise<EngineError[]> {
  const yaml = [
    'graph: g',
    'resources:',
    '  exec:',
    '  - name: date',
    '  - name: cat',
    '  file:',
    '  - name: /tmp/out',
    'edges:',
    `- {from: {kind: exec, name: date}, to: {kind: ${to}, name: ${to === 'exec' ? 'cat' : '/tmp/out'}}, send: ${send}, recv: ${recv}}`,
  ].join('\n');
  return problemsOf(yaml);
}

/** The problems loading `yaml` (g.yaml) meets; none when it loads. */
async function problemsOf(yaml: string): Promise<EngineError[]> {
  try {
    await resolveGraph(parseGraphYaml(yaml, 'g.yaml'), kinds);
    return [];
  } catch (error) {
    if (error instanceof GraphLoadError) return [...error.problems];
    throw error;
  }
}

describe('send/recv types when a graph loads', () => {
  it.each([
    ['exec', 'stdout', 'cmd'],
    ['file', 'stdout', 'source'],
    ['file', 'stdout', 'mode'],
  ] as const)('accepts a string sent into a constrained string param (%s, %s -> %s)', async (to, send, recv) => {
    expect(await load(to, send, recv)).toEqual([]);
  });

  it.each([
    ['exec', 'exitcode', 'cmd', 'as whole number'],
    ['file', 'exitcode', 'source', 'as whole number'],
    ['file', 'stdout', 'state', "one of \"exists\", \"absent\""],
    ['exec', 'stdout', 'timeout', 'as string'],
  ] as const)('still refuses a type that does not fit (%s, %s -> %s)', async (to, send, recv, words) => {
    const problems = await load(to, send, recv);
    expect(problems.map((problem) => problem.code)).toEqual(['ERR_SEND_RECV']);
    expect(problems[0]?.message).toContain(`which does not fit param '${recv}'`);
    expect(problems[0]?.message).toContain(words);
    expect(problems[0]?.hint).toBe('receive into a param of a compatible type');
  });
});

describe('the value a graph writes for a received param', () => {
  it('is checked as any other (it is used until a value is received): a list where a text is wanted is told at its line', async () => {
    const yaml = [
      'graph: g',
      'resources:',
      '  exec:',
      '  - name: date',
      '  - name: cat',
      '    cmd: [echo, hi]',
      'edges:',
      '- {from: {kind: exec, name: date}, to: {kind: exec, name: cat}, send: stdout, recv: cmd}',
    ].join('\n');
    const problems = await problemsOf(yaml);
    expect(problems.map((problem) => [problem.code, problem.message, problem.location?.line])).toEqual([
      ['ERR_PARAM_TYPE', "param 'cmd': expected string (length >= 1), got a list of 2", 6],
    ]);
  });
});
