import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  definePlugin,
  defineResource,
  EngineError,
  isEngineError,
  isPluginDefinition,
  isResourceDefinition,
  Type,
  type ParamsOf,
  type SendsOf,
} from '../src/index.js';

const example = defineResource({
  kind: 'example',
  params: Type.Object({ path: Type.String(), mode: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])) }),
  sends: Type.Object({ size: Type.Number() }),
  nameParam: 'path',
  create(params) {
    return {
      init(ctx) {
        ctx.send({ size: params.path.length });
      },
      checkApply: () => true,
    };
  },
});

describe('defineResource', () => {
  it('infers params and sends from the one schema', () => {
    expectTypeOf<ParamsOf<typeof example>>().toEqualTypeOf<{ path: string; mode?: 'a' | 'b' }>();
    expectTypeOf<SendsOf<typeof example>>().toEqualTypeOf<{ size: number }>();
    expect(isResourceDefinition(example)).toBe(true);
    expect(Object.isFrozen(example)).toBe(true);
  });

  it('is recognised by its tag, not by identity (two copies of the api agree)', () => {
    const copy = JSON.parse(JSON.stringify({ $$type: '@converge/resource', kind: 'x' })) as unknown;
    expect(isResourceDefinition(copy)).toBe(true);
    expect(isResourceDefinition({ kind: 'x' })).toBe(false);
    const plugin = definePlugin({ name: 'p', resources: [example] });
    expect(isPluginDefinition(plugin)).toBe(true);
    expect(isPluginDefinition({ ...plugin, $$type: 'other' })).toBe(false);
  });
});

describe('EngineError', () => {
  it('describes itself as file:line:column: resource: message, with the hint', () => {
    const error = new EngineError('ERR_UNKNOWN_PARAM', "unknown param 'conten'", {
      resource: 'file[/x]',
      location: { file: 'g.yaml', line: 4, column: 5 },
      hint: "did you mean 'content'?",
    });
    expect(error.describe()).toBe("g.yaml:4:5: file[/x]: unknown param 'conten'\n  hint: did you mean 'content'?");
    expect(error.isInputError).toBe(true);
    expect(new EngineError('ERR_RESOURCE_CHECK_APPLY', 'x').isInputError).toBe(false);
  });

  it('is recognised across copies by its registered symbol tag', () => {
    expect(isEngineError(new EngineError('ERR_CYCLE', 'c'))).toBe(true);
    expect(isEngineError(new Error('plain'))).toBe(false);
  });
});
