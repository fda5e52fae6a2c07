import { Kind } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { fromPlainSchema } from '../src/loader/plain-schema.js';

describe('plain JSON Schema params (plugins written without TypeBox)', () => {
  const schema = fromPlainSchema({
    type: 'object',
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1 },
      state: { enum: ['exists', 'absent'] },
      mode: { anyOf: [{ type: 'string' }, { type: 'integer', minimum: 0 }] },
      count: { type: 'integer', default: 3 },
      tags: { type: 'array', items: { type: 'string' } },
      env: { type: 'object', additionalProperties: { type: 'string' } },
    },
    additionalProperties: false,
  });

  it('becomes a TypeBox object the engine can check and default', () => {
    expect(schema?.[Kind]).toBe('Object');
    if (!schema) return;
    expect(Value.Check(schema, { path: '/x', state: 'exists', mode: 420, tags: ['a'], env: { A: 'b' } })).toBe(true);
    expect(Value.Check(schema, { path: '' })).toBe(false);
    expect(Value.Check(schema, { path: '/x', state: 'gone' })).toBe(false);
    expect(Value.Check(schema, { state: 'exists' })).toBe(false);
    expect(Value.Check(schema, { path: '/x', extra: 1 })).toBe(false);
    expect(Value.Default(schema, { path: '/x' })).toEqual({ path: '/x', count: 3 });
  });

  it('refuses constructs it cannot rebuild', () => {
    expect(fromPlainSchema({ type: 'object', properties: { x: { $ref: '#/defs/x' } } })).toBeUndefined();
    expect(fromPlainSchema('object')).toBeUndefined();
  });
});
