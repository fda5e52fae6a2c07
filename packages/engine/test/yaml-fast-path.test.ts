import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGraphYaml, parseGraphYamlPrecisely } from '../src/yaml/parse.js';
import { parseGraphYamlFast } from '../src/yaml/fast-parse.js';
import type { GraphSpec } from '../src/graph/spec.js';

const GOOD = join(import.meta.dirname, 'fixtures', 'good');
const BAD = join(import.meta.dirname, 'fixtures', 'bad');

/** What both parsers must agree on: everything but locations. */
function withoutLocations(spec: GraphSpec): unknown {
  return {
    name: spec.name,
    comment: spec.comment,
    file: spec.file,
    plugins: spec.plugins,
    resources: spec.resources.map(({ kind, name, params, meta }) => ({ kind, name, params, meta })),
    edges: spec.edges.map(({ location: _location, ...edge }) => edge),
  };
}

const never = (): GraphSpec => {
  throw new Error('not needed');
};

/** The fast path declines what the precise parser refuses, and reads what it takes as the precise parser does (or declines it). */
function expectSameReading(text: string): void {
  let precise: GraphSpec | undefined;
  try {
    precise = parseGraphYamlPrecisely(text, 'g.yaml');
  } catch {
    precise = undefined;
  }
  const fast = parseGraphYamlFast(text, 'g.yaml', never);
  if (!precise) expect(fast, text).toBeUndefined();
  else if (fast) expect(withoutLocations(fast), text).toEqual(withoutLocations(precise));
}

describe('the fast YAML path', () => {
  it('reads every good fixture exactly as the precise parser does', async () => {
    for (const entry of await readdir(GOOD)) {
      const text = await readFile(join(GOOD, entry), 'utf8');
      const fast = parseGraphYamlFast(text, entry, never);
      expect(fast, entry).toBeDefined();
      expect(withoutLocations(fast as GraphSpec), entry).toEqual(withoutLocations(parseGraphYamlPrecisely(text, entry)));
    }
  });

  it('declines every broken fixture, or reads it the same as the precise parser', async () => {
    for (const entry of await readdir(BAD)) {
      const text = await readFile(join(BAD, entry), 'utf8');
      let precise: GraphSpec | undefined;
      try {
        precise = parseGraphYamlPrecisely(text, entry);
      } catch {
        precise = undefined;
      }
      const fast = parseGraphYamlFast(text, entry, never);
      // Shape problems must never slip through the fast path; problems found
      // later (kinds, params, edges) are re-checked precisely by resolveGraph.
      if (!precise) expect(fast, entry).toBeUndefined();
      else if (fast) expect(withoutLocations(fast), entry).toEqual(withoutLocations(precise));
    }
  });

  it('reads -0 as 0, leaving a negative zero to the precise parser', () => {
    const text = 'graph: g\nresources:\n  file:\n  - name: a\n    x: -0\n    y: -0.0\n    z: -0e0\n';
    expect(parseGraphYamlFast(text, 'g.yaml', never)).toBeUndefined();
    const params = parseGraphYamlPrecisely(text, 'g.yaml').resources[0]?.params ?? {};
    for (const key of ['x', 'y', 'z']) expect(Object.is(params[key], 0), key).toBe(true);
    // Not a negative zero (nor a number written in a form of its own, such as -0.5): the fast path takes it.
    expect(parseGraphYamlFast('graph: g\nresources:\n  file:\n  - name: a\n    x: -5\n    y: "-0"\n', 'g.yaml', never)).toBeDefined();
  });

  it('leaves a number of 16 digits and more to the precise parser, which keeps it as written', () => {
    const text = 'graph: g\nresources:\n  file:\n  - name: a\n    x: 9007199254740993\n';
    expect(parseGraphYamlFast(text, 'g.yaml', never)).toBeUndefined();
    expect(parseGraphYamlPrecisely(text, 'g.yaml').resources[0]?.scalarTexts?.get('x')).toBe('9007199254740993');
    expect(parseGraphYamlFast('graph: g\nresources:\n  file:\n  - name: a\n    x: 900719925474099\n', 'g.yaml', never)).toBeDefined();
  });

  it('agrees with the precise parser on generated graphs', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
    const params = fc.dictionary(fc.string({ minLength: 1 }).filter((key) => !['name', 'meta'].includes(key)), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 4 });
    const graph = fc.record({
      graph: fc.string({ minLength: 1 }),
      resources: fc.dictionary(fc.constantFrom('file', 'exec', 'noop'), fc.array(fc.tuple(fc.string({ minLength: 1 }), params), { maxLength: 3 })),
      edges: fc.array(fc.record({ name: fc.string(), from: fc.record({ kind: fc.string(), name: fc.string() }), to: fc.record({ kind: fc.string(), name: fc.string() }), notify: fc.boolean() }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(graph, (value) => {
        const doc = {
          graph: value.graph,
          resources: Object.fromEntries(Object.entries(value.resources).map(([kind, list]) => [kind, list.map(([name, extra]) => ({ ...extra, name }))])),
          edges: value.edges,
        };
        expectSameReading(stringify(doc));
      }),
      { numRuns: 300 },
    );
  });

  it('reads a plain number-like value as the precise parser does, whatever else the file holds', () => {
    // Sign, prefix, digits, a fraction and an exponent, written unquoted: every shape of plain scalar a number can take.
    const token = fc
      .tuple(
        fc.constantFrom('', '+', '-'),
        fc.constantFrom('', '0b', '0x', '0o', '0B', '0X', '.', '0.'),
        fc.stringMatching(/^[0-9a-fA-F_]{0,5}$/),
        fc.constantFrom('', '.', '.5', '._'),
        fc.constantFrom('', 'e3', 'E+30', 'e-400', 'e400', 'e1000'),
      )
      .map((parts) => parts.join(''))
      .filter((text) => /[0-9]/.test(text));
    fc.assert(
      fc.property(token, (value) => {
        expectSameReading(`graph: g\nresources:\n  file:\n  - name: a\n    x: ${value}\n    y: [${value}, 1]\n    z: {k: ${value}}\n`);
      }),
      { numRuns: 2_000 },
    );
    // Found by QA: one answer for `0b11` and `+0x20`, with or without an anchor elsewhere in the file.
    for (const value of ['0b11', '+0x20', '-0o17', '-.5', '1e400', `1${'0'.repeat(309)}`, `0x${'f'.repeat(300)}`]) {
      const text = `graph: g\nresources:\n  file:\n  - name: a\n    x: ${value}\n`;
      expect(parseGraphYamlFast(text, 'g.yaml', never), value).toBeUndefined();
      expect(parseGraphYaml(text, 'g.yaml').resources[0]?.params.x).toEqual(parseGraphYamlPrecisely(text, 'g.yaml').resources[0]?.params.x);
    }
  });

  it('leaves anchors, aliases and tags to the precise parser', () => {
    expect(parseGraphYamlFast('graph: g\nresources:\n  noop:\n  - &a {name: x}\n', 'g.yaml', never)).toBeUndefined();
    expect(parseGraphYamlFast('graph: !!str g\n', 'g.yaml', never)).toBeUndefined();
    expect(parseGraphYamlFast('graph: g\nx: 1\n', 'g.yaml', never)).toBeUndefined();
  });

  it('parseGraphYaml returns a spec that can be re-read precisely for error locations', () => {
    const spec = parseGraphYaml('graph: g\nresources:\n  noop:\n  - name: a\n    conten: x\n', 'g.yaml');
    expect(spec.precise).toBeTypeOf('function');
    const precise = spec.precise?.();
    expect(precise?.resources[0]?.paramLocations.get('conten')).toEqual({ file: 'g.yaml', line: 5, column: 13 });
  });
});
