import { Type, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { isAssignable } from '../src/graph/send-recv-types.js';

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
  ['plain string into a pattern', Type.String(), Type.String({ pattern: '^[0-7]+$' }), false],
  ['same pattern', Type.String({ pattern: '^[0-7]+$' }), Type.String({ pattern: '^[0-7]+$' }), true],
  ['stricter minimum into a looser one', Type.Integer({ minimum: 5 }), Type.Integer({ minimum: 0 }), true],
  ['looser minimum into a stricter one', Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 5 }), false],
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

describe('isAssignable', () => {
  it.each(cases)('%s', (_name, from, to, expected) => {
    expect(isAssignable(from, to)).toBe(expected);
  });
});
