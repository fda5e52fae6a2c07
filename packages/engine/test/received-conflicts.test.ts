import { defineResource, Type, type AnyResourceDefinition, type EngineError } from '@converge/engine-api';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphLoadError } from '../src/graph/load-error.js';
import { loadGraphFile } from '../src/graph/load-graph.js';
import { resolveGraph } from '../src/graph/resolve.js';
import { typeSamples } from '../src/graph/type-samples.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { mapResolver } from './fixtures/kinds.js';
import { tempDir } from './support/graph.js';

/** The problems loading `yaml` with the installed plugins (file, password) meets; none when it loads. */
async function problemsOf(yaml: string): Promise<EngineError[]> {
  const file = join(await tempDir('converge-received-conflicts-'), 'g.yaml');
  await writeFile(file, yaml);
  try {
    await loadGraphFile(file);
    return [];
  } catch (error) {
    if (error instanceof GraphLoadError) return [...error.problems];
    throw error;
  }
}

/** A password sent into a file's param; `params` are the file's other params, one `key: value` a line. */
const passwordInto = (recv: string, path: string, ...params: string[]): string =>
  [
    'graph: g',
    'resources:',
    '  password:',
    '  - name: pw',
    '  file:',
    `  - name: ${path}`,
    ...params.map((param) => `    ${param}`),
    'edges:',
    `- from: {kind: password, name: pw}`,
    `  to: {kind: file, name: ${path}}`,
    '  send: password',
    `  recv: ${recv}`,
    '',
  ].join('\n');

const SAMPLE_TEXTS = ['converge-sample', '/converge/sample'];

describe('a received param the receiver has no room for', () => {
  it('is refused at load, at the edge, naming the param it conflicts with (password -> content of a file with state: absent)', async () => {
    const problems = await problemsOf(passwordInto('content', '/tmp/converge-received-conflict', 'state: absent'));
    expect(problems.map((problem) => [problem.code, problem.resource, problem.location?.line])).toEqual([
      ['ERR_SEND_RECV', 'file[/tmp/converge-received-conflict]', 9],
    ]);
    const [problem] = problems as [EngineError];
    expect(problem.message).toContain("param 'content' is received from password[pw] ('password') but conflicts with 'state' (at ");
    expect(problem.message).toContain('g.yaml:7)');
    expect(problem.message).toContain('content makes no sense with state: absent');
    expect(problem.hint).toContain("change or leave out 'state'");
    // No value is known at load, and none of those tried is told.
    for (const text of SAMPLE_TEXTS) expect(problem.describe()).not.toContain(text);
  });

  it('names the name param when that is what leaves no room (content into a directory)', async () => {
    const problems = await problemsOf(passwordInto('content', '/tmp/converge-received-dir/', 'state: exists'));
    expect(problems.map((problem) => [problem.code, problem.location?.line])).toEqual([['ERR_SEND_RECV', 9]]);
    expect(problems[0]?.message).toContain("conflicts with 'path' (at ");
    expect(problems[0]?.message).toContain('a directory (path ending in /) cannot have content');
  });

  it('names only the param that settles it, not those that only reword it (owner with state: absent)', async () => {
    const problems = await problemsOf(passwordInto('owner', '/tmp/converge-received-owner', 'state: absent'));
    expect(problems.map((problem) => problem.code)).toEqual(['ERR_SEND_RECV']);
    expect(problems[0]?.message).toContain("conflicts with 'state' (at ");
    expect(problems[0]?.message).not.toMatch(/'(group|mode|purge)'/);
  });

  it.each([
    ['content into a file that is written', 'content', '/tmp/converge-received-ok', ['state: exists']],
    // A name or an id: some values are fine, so the value decides, at run time.
    ['owner of a file that is kept', 'owner', '/tmp/converge-received-ok', ['state: exists']],
    // A source must be a directory like path: whether it is depends on the value.
    ['source of a directory copy', 'source', '/tmp/converge-received-ok/', ['state: exists', 'recurse: true']],
    ['mode of a file', 'mode', '/tmp/converge-received-ok', ['state: exists']],
  ])('is not refused when some value fits: %s', async (_label, recv, path, params) => {
    expect(await problemsOf(passwordInto(recv, path, ...params))).toEqual([]);
  });

  it('is not refused when only the value is at fault (a kv comparing as numbers takes a text of digits)', async () => {
    const yaml = [
      'graph: g',
      'resources:',
      '  password:',
      '  - name: pw',
      '  kv:',
      '  - name: counter',
      '    skiplessthan: true',
      'edges:',
      '- {from: {kind: password, name: pw}, to: {kind: kv, name: counter}, send: password, recv: value}',
      '',
    ].join('\n');
    expect(await problemsOf(yaml)).toEqual([]);
  });
});

describe('a check of the value that every sample misses', () => {
  const sender = defineResource({
    kind: 'source',
    params: Type.Object({ name: Type.String() }),
    nameParam: 'name',
    sends: Type.Object({ text: Type.String() }),
    create: () => ({ checkApply: () => true }),
  });
  // A format none of the samples has: the value decides, and no other param changes that.
  const receiver = defineResource({
    kind: 'endpoint',
    params: Type.Object({ name: Type.String(), url: Type.Optional(Type.String()), verbose: Type.Optional(Type.Boolean()) }),
    nameParam: 'name',
    validate: (params) => (params.url !== undefined && !params.url.startsWith('https://') ? [{ param: 'url', message: 'url must start with https://' }] : []),
    create: () => ({ checkApply: () => true }),
  });

  it('is left to the run, which checks the value received', async () => {
    const yaml = [
      'graph: g',
      'resources:',
      '  source:',
      '  - name: s',
      '  endpoint:',
      '  - name: e',
      '    verbose: true',
      'edges:',
      '- {from: {kind: source, name: s}, to: {kind: endpoint, name: e}, send: text, recv: url}',
    ].join('\n');
    const graph = await resolveGraph(parseGraphYaml(yaml, 'g.yaml'), mapResolver([sender, receiver] as unknown as AnyResourceDefinition[]));
    expect(graph.edges.map((edge) => edge.recv)).toEqual(['url']);
  });
});

describe('typeSamples', () => {
  it('tries unlike values of a type, each of which fits it', () => {
    expect(typeSamples(Type.String({ minLength: 1 })).values).not.toContain('');
    expect(typeSamples(Type.String()).values.length).toBeGreaterThan(2);
    expect(typeSamples(Type.Boolean())).toEqual({ values: [false, true], exhaustive: true });
    expect(typeSamples(Type.Union([Type.Literal('a'), Type.Literal('b')]))).toEqual({ values: ['a', 'b'], exhaustive: true });
    expect(typeSamples(Type.Array(Type.String())).values).toContainEqual([]);
  });

  it('has none for a type it cannot be sure to meet (a format)', () => {
    expect(typeSamples(Type.String({ format: 'uri' })).values).toEqual([]);
  });
});
