import { isEngineError } from '@converge/engine-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GraphLoadError } from '../src/graph/load-error.js';
import { META_KEYS } from '../src/graph/meta-params.js';
import { resolveGraph } from '../src/graph/resolve.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { mapResolver } from './fixtures/kinds.js';

/** Parses and resolves `text`; returns the error thrown, if any. */
async function load(text: string): Promise<unknown> {
  try {
    await resolveGraph(parseGraphYaml(text, 'p.yaml'), mapResolver());
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectOnlyLocatedLoadErrors(error: unknown): void {
  if (error === undefined) return;
  expect(error).toBeInstanceOf(GraphLoadError);
  const problems = (error as GraphLoadError).problems;
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) {
    expect(isEngineError(problem)).toBe(true);
    expect(problem.location?.file).toBe('p.yaml');
    expect(problem.location?.line).toBeGreaterThanOrEqual(1);
    expect(problem.location?.column).toBeGreaterThanOrEqual(1);
    // The README promises each problem a hint: what to do about it.
    expect(problem.hint, problem.message).toBeTruthy();
  }
}

const YAML_TOKENS = [
  'graph', 'resources', 'edges', 'plugins', 'comment', 'noop', 'file', 'exec', 'pkg', 'docker:container', 'name', 'meta',
  'from', 'to', 'kind', 'notify', 'send', 'recv', 'path', 'content', 'retry', 'sema', 'limit', '__proto__',
  ':', ': ', '- ', '-', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '&a', '*a', '&b', '*b', '!!str', '!!binary', '!x',
  '#', '"', "'", '|', '>', '---', '...', '?', '.inf', '~', 'null', 'true', '1', '-1', '0x1f', '%YAML 1.2', '\u0000', 'é', '\uD800',
];

const names = fc.constantFrom('a', 'b', '/tmp/a', 'date', 'vim');
const kinds = fc.constantFrom('noop', 'file', 'exec', 'pkg', 'crashy', 'flie', 'docker:container');
const scalar = fc.oneof(fc.string({ maxLength: 8 }), names, fc.integer({ min: -3, max: 1000 }), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }));
/** Mostly `good`, sometimes any value: enough broken structure to test errors, enough sound structure to reach resolve. */
function noisy<T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 20, arbitrary: good }, { weight: 1, arbitrary: value });
}
const meta = fc.dictionary(fc.constantFrom(...META_KEYS, 'bogus', 'Retry'), value, { maxKeys: 4 });
const resource = noisy(
  fc.record(
    { name: noisy(names), path: value, content: value, state: fc.oneof(fc.constantFrom('exists', 'installed'), value), timeout: value, meta: noisy(meta) },
    { requiredKeys: ['name'] },
  ),
);
const end = noisy(fc.record({ kind: kinds, name: names }));
const edge = fc.record(
  { name: noisy(fc.string({ minLength: 1 }).filter((text) => text.trim() !== '')), from: end, to: end, notify: noisy(fc.boolean()), send: fc.constantFrom('output', 'lines', 'content', 'x'), recv: fc.constantFrom('content', 'input', 'args', 'y') },
  { requiredKeys: ['from', 'to'] },
);
const randomGraph = fc.record(
  {
    graph: noisy(fc.constant('g')),
    comment: noisy(fc.string()),
    resources: noisy(fc.dictionary(kinds, noisy(fc.array(resource, { maxLength: 4 })), { maxKeys: 4 })),
    edges: noisy(fc.array(edge, { maxLength: 4 })),
    plugins: noisy(fc.array(fc.constantFrom('converge-res-a', '@scope/res-b'), { maxLength: 2 })),
  },
  { requiredKeys: ['graph', 'resources'] },
);
const graphWithUnknownKey = fc.tuple(randomGraph, fc.string(), value).map(([base, key, extra]) => ({ ...base, [key]: extra }));
/** Graphs that load, with metaparams and a chain of edges, so that the success path is exercised too. */
const loadableGraph = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 }),
    retry: fc.integer({ min: -1, max: 5 }),
    notify: fc.boolean(),
  })
  .map(({ names, retry, notify }) => ({
    graph: 'g',
    resources: { noop: names.map((name) => ({ name, meta: { retry } })) },
    edges: names.slice(1).map((name, index) => ({ from: { kind: 'noop', name: names[index] }, to: { kind: 'noop', name }, notify })),
  }));
const graph = fc.oneof(
  { weight: 6, arbitrary: randomGraph },
  { weight: 1, arbitrary: graphWithUnknownKey },
  { weight: 2, arbitrary: loadableGraph },
);

describe('parse and resolve never fail in any other way than a located GraphLoadError', () => {
  it('on random YAML-like text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 }), async (tokens) => {
        expectOnlyLocatedLoadErrors(await load(tokens.join('')));
      }),
      { numRuns: 400 },
    );
  });

  it('on random unicode text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        expectOnlyLocatedLoadErrors(await load(text));
      }),
      { numRuns: 300 },
    );
  });

  it('on random graph-shaped structures dumped to YAML', async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(graph, async (structure) => {
        const error = await load(stringify(structure));
        if (error === undefined) loaded += 1;
        expectOnlyLocatedLoadErrors(error);
      }),
      { numRuns: 400 },
    );
    // The generator must also reach graphs that load, or it tests only the error paths.
    expect(loaded).toBeGreaterThan(0);
  });

  it('on any JS value dumped to YAML', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 4 }), async (anything) => {
        expectOnlyLocatedLoadErrors(await load(stringify(anything) ?? ''));
      }),
      { numRuns: 300 },
    );
  });
});
