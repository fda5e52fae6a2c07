import { describe, expect, it } from 'vitest';
import { memoryKindResolver } from '../src/api/memory-resolver.js';
import { composeGraph } from '../src/cluster/compose-graph.js';
import { collectConflictWarning, collectFor, exportsOf, exportToSpec, globToRegExp, parseExport, type CollectConflict, type ExportedResource } from '../src/cluster/exported-resources.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { resolveGraph } from '../src/graph/resolve.js';
import { parseGraphYamlFast } from '../src/yaml/fast-parse.js';
import { parseGraphYaml, parseGraphYamlPrecisely } from '../src/yaml/parse.js';

const never = () => {
  throw new Error('not needed');
};

const exported = (host: string, name: string, to: readonly string[], params: Record<string, unknown> = {}): ExportedResource => ({
  host,
  kind: 'kv',
  name,
  params: { key: name, value: `from ${host}`, ...params },
  meta: {},
  to,
});

describe('collect in YAML graphs', () => {
  it('is read the same by both parsers, pattern defaulting to *', () => {
    const text = 'graph: g\ncollect:\n  - kind: file\n    pattern: "/etc/app/*"\n  - {kind: kv}\n';
    const fast = parseGraphYamlFast(text, 'g.yaml', never);
    const precise = parseGraphYamlPrecisely(text, 'g.yaml');
    const shape = (spec: typeof precise) => spec.collect?.map(({ kind, pattern }) => ({ kind, pattern }));
    expect(shape(precise)).toEqual([
      { kind: 'file', pattern: '/etc/app/*' },
      { kind: 'kv', pattern: '*' },
    ]);
    expect(fast && shape(fast)).toEqual(shape(precise));
    expect(precise.collect?.[0]?.location).toMatchObject({ line: 3, column: 5 });
  });

  it('reports a broken collect entry at its line; the fast parser declines it', () => {
    const text = 'graph: g\ncollect:\n  - kind: file\n    patern: x\n';
    expect(parseGraphYamlFast(text, 'g.yaml', never)).toBeUndefined();
    try {
      parseGraphYaml(text, 'g.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GraphLoadError);
      expect((error as GraphLoadError).problems[0]?.location?.line).toBe(4);
    }
  });
});

describe('exported and collected resources', () => {
  it('matches names with * and ? globs, literally otherwise', () => {
    expect(globToRegExp('/etc/app/*.conf').test('/etc/app/a.conf')).toBe(true);
    expect(globToRegExp('/etc/app/*.conf').test('/etc/app/aXconf')).toBe(false);
    expect(globToRegExp('web?').test('web1')).toBe(true);
    expect(globToRegExp('web?').test('web10')).toBe(false);
  });

  it('collects what is exported to this host or to all, from other hosts only, first host winning a clash', () => {
    const all = [
      exported('h1', 'a', ['*']),
      exported('h2', 'a', ['*']),
      exported('h1', 'b', ['h3']),
      exported('h1', 'c', ['h2']),
      exported('h2', 'mine', ['*']),
    ];
    const collected = collectFor('h2', [{ kind: 'kv', pattern: '*', location: { file: 'g', line: 1, column: 1 } }], all);
    expect(collected.map((item) => `${item.host}:${item.name}`)).toEqual(['h1:a', 'h1:c']);
  });

  it('tells each export left out by the first-host rule that differs from the one collected, and not the same resource exported twice', () => {
    const at = { file: 'g.yaml', line: 3, column: 5 };
    const kv = (host: string, name: string, value: string, meta: Record<string, unknown> = {}): ExportedResource => ({ host, kind: 'kv', name, params: { value }, meta, to: ['*'] });
    const conflicts: CollectConflict[] = [];
    const collected = collectFor('c', [{ kind: 'kv', pattern: '*', location: at }], [kv('h2', 'a', 'two'), kv('h1', 'a', 'one'), kv('h3', 'a', 'one'), kv('h1', 'b', 'same'), kv('h2', 'b', 'same', { hidden: true }), kv('h2', 'm', 'x', { retry: 2 }), kv('h1', 'm', 'x')], (conflict) => conflicts.push(conflict));
    expect(collected.map((item) => `${item.host}:${item.name}`)).toEqual(['h1:a', 'h1:b', 'h1:m']);
    expect(conflicts.map(({ kept, dropped }) => `${kept.host}:${kept.name} over ${dropped.host}:${dropped.name}`)).toEqual(['h1:a over h2:a', 'h1:m over h2:m']);
    expect(conflicts.map(collectConflictWarning)).toEqual([
      {
        location: at,
        resource: 'kv[a]',
        message: "exported by h1 and by h2 with different params: h1's is collected (the first host by name wins), h2's is left out",
        hint: 'export it from one host only, or give each its own name',
      },
      expect.objectContaining({ resource: 'kv[m]', message: expect.stringMatching(/^exported by h1 and by h2 with different metaparams: /) }),
    ]);
    const file = (host: string, name: string, content: string): ExportedResource => ({ host, kind: 'file', name, params: { content }, meta: {}, to: ['*'] });
    const intoFolder: CollectConflict[] = [];
    collectFor('c', [{ kind: 'file', pattern: '/in/', location: at }], [file('b2', '/b2/app.conf', 'two'), file('b1', '/b1/app.conf', 'one'), file('b3', '/b3/app.conf', 'one')], (conflict) => intoFolder.push(conflict));
    expect(intoFolder.map(collectConflictWarning).map((warning) => `${warning.resource}: ${warning.message}`)).toEqual([
      "file[/b1/app.conf]: exported by b1, and file[/b2/app.conf] by b2, with different params, would both be written to /in/app.conf: this one is collected (the first host by name, then name, wins), the other is left out",
    ]);
  });

  it("reads a file pattern that is a folder as mgmt does: every exported file, written into that folder", () => {
    const file = (host: string, name: string, params: Record<string, unknown> = {}): ExportedResource => ({ host, kind: 'file', name, params, meta: {}, to: ['*'] });
    const at = { file: 'g', line: 1, column: 1 };
    const collected = collectFor('hostA', [{ kind: 'file', pattern: '/tmp/mgmtA/', location: at }], [
      file('hostB', '/tmp/mgmtB/fB', { content: 'b' }),
      file('hostC', 'named', { path: '/srv/x/fC', content: 'c' }),
      file('hostC', '/srv/d/', {}),
    ]);
    expect(collected.map((item) => [item.name, item.params['path']])).toEqual([
      ['/tmp/mgmtB/fB', '/tmp/mgmtA/fB'],
      ['/srv/d/', '/tmp/mgmtA/d/'],
      ['named', '/tmp/mgmtA/fC'],
    ]);
    // Two exports with one base name would write one path there: the first host (then name) wins it, the others still collected (QA: all refused).
    const clash = collectFor('bc', [{ kind: 'file', pattern: '/in/', location: at }], [
      file('b2', '/b2/app.conf'),
      file('b1', '/b1/app.conf'),
      file('b1', '/b1/only-b1.conf'),
      file('b2', '/b2/only-b2.conf'),
    ]);
    expect(clash.map((item) => [item.host, item.name, item.params['path']])).toEqual([
      ['b1', '/b1/app.conf', '/in/app.conf'],
      ['b1', '/b1/only-b1.conf', '/in/only-b1.conf'],
      ['b2', '/b2/only-b2.conf', '/in/only-b2.conf'],
    ]);
    // A glob stays a glob on names, and an empty pattern (as mgmt's) is every name.
    expect(collectFor('hostA', [{ kind: 'file', pattern: '/tmp/mgmtB/*', location: at }], [file('hostB', '/tmp/mgmtB/fB')]).map((item) => item.params['path'])).toEqual([undefined]);
    expect(parseGraphYamlPrecisely("graph: g\ncollect:\n  - {kind: file, pattern: ''}\n", 'g.yaml').collect?.[0]?.pattern).toBe('*');
  });

  it('publishes only what a graph exports, without defaults and without the export list', async () => {
    const spec = parseGraphYaml('graph: g\nresources:\n  kv:\n    - name: a\n      value: x\n      meta: {export: ["*"], retry: 2}\n    - name: b\n      value: y\n', 'g.yaml');
    const graph = await resolveGraph(spec, memoryKindResolver([]));
    const exports = exportsOf(graph, 'h1');
    expect(exports).toEqual([{ host: 'h1', kind: 'kv', name: 'a', params: { key: 'a', value: 'x' }, meta: { retry: 2 }, to: ['*'] }]);
    expect(parseExport(JSON.stringify(exports[0]))).toEqual(exports[0]);
    expect(parseExport('{"host": 1}')).toBeUndefined();
  });

  it('publishes a hidden resource (mgmt: export what this host does not run); its own host collects it back, to run it', async () => {
    const spec = parseGraphYaml('graph: g\nresources:\n  kv:\n    - name: a\n      value: x\n      meta: {export: ["*"], hidden: true}\n', 'g.yaml');
    const graph = await resolveGraph(spec, memoryKindResolver([]));
    const exports = exportsOf(graph, 'h1');
    expect(exports).toEqual([{ host: 'h1', kind: 'kv', name: 'a', params: { key: 'a', value: 'x' }, meta: { hidden: true }, to: ['*'] }]);
    // A host collects its own exports only when hidden; collected, it is not hidden.
    expect(collectFor('h1', [{ kind: 'kv', pattern: '*', location: { file: 'g.yaml', line: 1, column: 1 } }], exports).map((each) => each.name)).toEqual(['a']);
    expect(collectFor('h1', [{ kind: 'kv', pattern: '*', location: { file: 'g.yaml', line: 1, column: 1 } }], [exported('h1', 'shown', ['*'])])).toEqual([]);
    expect(exportToSpec(exports[0] as ExportedResource).meta).toEqual({});
    // In the composed graph the collected one takes the place of the hidden one.
    const composed = composeGraph(spec, exports.map(exportToSpec));
    const running = await resolveGraph(composed, memoryKindResolver([]));
    expect(running.resources.get('kv[a]')?.meta.hidden).toBe(false);
  });

  it('puts collected resources through the same checks as the graph, the graph winning a clash', async () => {
    const base = parseGraphYaml('graph: g\nresources:\n  kv:\n    - name: own\n      value: mine\n', 'g.yaml');
    const good = composeGraph(base, [exported('h1', 'extra', ['*']), exported('h1', 'own', ['*'])].map(exportToSpec));
    const graph = await resolveGraph(good, memoryKindResolver([]));
    expect([...graph.resources.keys()]).toEqual(['kv[own]', 'kv[extra]']);
    expect(graph.resources.get('kv[own]')?.params['value']).toBe('mine');

    const bad = composeGraph(base, [exportToSpec(exported('h1', 'broken', ['*'], { state: 'sideways' }))]);
    const error = await resolveGraph(bad, memoryKindResolver([])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphLoadError);
    expect((error as GraphLoadError).problems[0]?.message).toMatch(/state/);
    expect((error as GraphLoadError).problems[0]?.location?.file).toBe('<exported by h1>');
  });
});
