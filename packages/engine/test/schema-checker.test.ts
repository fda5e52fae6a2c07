import { Kind, Type, TypeRegistry } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { schemaChecker } from '../src/graph/schema-checker.js';

describe('schema checker', () => {
  it('fills defaults, nested ones included, and checks the result', () => {
    const schema = Type.Object({
      length: Type.Integer({ default: 64 }),
      disk: Type.Optional(Type.Array(Type.Object({ source: Type.String(), format: Type.String({ default: 'qcow2' }) }))),
    });
    const checker = schemaChecker(schema);
    const filled = checker.withDefaults({ disk: [{ source: '/a' }] });
    expect(filled).toEqual({ length: 64, disk: [{ source: '/a', format: 'qcow2' }] });
    expect(checker.check(filled)).toBe(true);
    expect(checker.check({ length: '64' })).toBe(false);
  });

  it('leaves params alone when the schema has no default, and is made once per schema', () => {
    const schema = Type.Object({ path: Type.String(), mode: Type.Optional(Type.String()) });
    const params = { path: '/x' };
    expect(schemaChecker(schema).withDefaults(params)).toBe(params);
    expect(schemaChecker(schema)).toBe(schemaChecker(schema));
    expect(schemaChecker(schema).check({ path: 1 })).toBe(false);
  });

  it("checks a plugin's own registered type", () => {
    TypeRegistry.Set('PluginDuration', (_schema, value) => typeof value === 'string' && /^\d+[smh]$/.test(value));
    const schema = Type.Object({ every: Type.Unsafe<string>({ [Kind]: 'PluginDuration' }) });
    const checker = schemaChecker(schema);
    expect(checker.check({ every: '5m' })).toBe(true);
    expect(checker.check({ every: 'often' })).toBe(false);
  });
});
