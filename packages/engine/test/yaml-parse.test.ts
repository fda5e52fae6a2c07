import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphLoadError } from '../src/graph/load-error.js';
import { MAX_GRAPH_FILE_BYTES, readGraphFile } from '../src/yaml/read.js';
// These tests look at locations, which only the precise parser keeps.
import { parseGraphYamlPrecisely as parseGraphYaml } from '../src/yaml/parse.js';

const GOOD = join(import.meta.dirname, 'fixtures', 'good');

function problemsOf(text: string): Array<{ code: string; line: number | undefined; column: number | undefined; message: string; hint: string | undefined }> {
  try {
    parseGraphYaml(text, 'g.yaml');
  } catch (error) {
    if (!(error instanceof GraphLoadError)) throw error;
    return error.problems.map((problem) => ({
      code: problem.code,
      line: problem.location?.line,
      column: problem.location?.column,
      message: problem.message,
      hint: problem.hint,
    }));
  }
  throw new Error('parsed without error');
}

describe('parseGraphYaml', () => {
  it("reads an edge's notify written as a YAML 1.1 boolean (yes) as mgmt does, with a warning", () => {
    const spec = parseGraphYaml(['graph: g', 'edges:', '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: yes}'].join('\n'), 'g.yaml');
    expect(spec.edges[0]?.notify).toBe(true);
    expect(spec.warnings?.map((warning) => warning.message)).toEqual(["read 'notify: yes' as true (a YAML 1.1 boolean, as mgmt reads it)"]);
  });

  it("refuses an edge's notify written as a quoted \"yes\", as a quoted \"true\" is (QA)", () => {
    const [problem] = problemsOf(['graph: g', 'edges:', '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: "yes"}'].join('\n'));
    expect(problem?.message).toContain("the edge's 'notify' must be true or false, not the string 'yes'");
  });

  it("refuses an edge's notify in a case mgmt's reader does not take as a boolean (yEs, oFF), as \"true\" is (QA)", () => {
    for (const word of ['yEs', 'oFF', 'nO', 'Y']) {
      const text = ['graph: g', 'edges:', `- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: ${word}}`].join('\n');
      if (word === 'Y') {
        expect(parseGraphYaml(text, 'g.yaml').edges[0]?.notify).toBe(true);
        continue;
      }
      expect(problemsOf(text).map((problem) => problem.message)).toEqual([`the edge's 'notify' must be true or false, not the string '${word}'`]);
    }
  });

  it("reads mgmt's older 'res' in an edge's end as 'kind', with a warning at it; both together are refused", () => {
    const text = ['graph: g', 'edges:', '- name: e1', '  from: {res: noop, name: a}', '  to: {kind: noop, name: b}'].join('\n');
    const spec = parseGraphYaml(text, 'g.yaml');
    expect(spec.edges[0]?.from).toEqual({ kind: 'noop', name: 'a' });
    expect(spec.warnings?.map((warning) => [warning.location.line, warning.message, warning.hint])).toEqual([
      [4, "read 'from: {res: ...}' as 'from: {kind: ...}' (mgmt's older name for it)", 'write kind: in place of res:'],
    ]);
    expect(problemsOf(['graph: g', 'edges:', '- {from: {kind: noop, res: noop, name: a}, to: {kind: noop, name: b}}'].join('\n')).map((problem) => problem.message)).toEqual([
      "the edge's 'from' has both 'kind' and 'res' (mgmt's older name for kind)",
    ]);
  });

  it('ignores top-level x- keys (a place for shared anchors) and still refuses other unknown ones', () => {
    const text = ['graph: g', 'x-defaults: &defs {state: exists, mode: "0640"}', 'resources:', '  file:', '  - <<: *defs', '    name: /tmp/a'].join('\n');
    expect(parseGraphYaml(text, 'g.yaml').resources[0]?.params).toEqual({ state: 'exists', mode: '0640' });
    expect(problemsOf(['graph: g', 'defaults: 1'].join('\n')).map((problem) => problem.message)).toEqual(["unknown key 'defaults' in the graph"]);
    // The hint says where keys of one's own go.
    expect(problemsOf(['graph: g', 'defaults: 1'].join('\n'))[0]?.hint).toMatch(/; keys of your own start with x- \(converge ignores them\)$/);
  });

  it('tells a param indented deeper than the one above it once, at its own line (QA: two parser messages at the line above)', () => {
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    state: exists\n      content: "x"\n')).toEqual([
      expect.objectContaining({
        line: 6,
        column: 7,
        message: "'content' is indented deeper than the key above it",
        hint: expect.stringContaining('line it up with the key above it (column 5)'),
      }),
    ]);
    // Under a list item's first key, the column is that key's, after `- `.
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n      content: "x"\n')[0]?.hint).toContain('(column 5)');
    // After a quoted or flow value the parser says another thing, at the deeper line: told the same way (QA).
    const afterQuoted = problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    content: "x"\n      mode: "0644"\n');
    expect(afterQuoted.map((problem) => `${problem.line}:${problem.column} ${problem.message}`)).toEqual(["6:7 'mode' is indented deeper than the key above it"]);
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    meta: {retry: 1}\n      mode: "0644"\n')[0]?.message).toBe("'mode' is indented deeper than the key above it");
    // Two deeper lines: each told the same way, at its line.
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    state: exists\n      content: "x"\n      mode: "0644"\n').map((problem) => `${problem.line} ${problem.message}`)).toEqual([
      "6 'content' is indented deeper than the key above it",
      "7 'mode' is indented deeper than the key above it",
    ]);
    // A value that holds `: ` is another mistake, told as before.
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    content: a: b\n')[0]?.hint).toContain('quote the value');
  });

  it('reads YAML merge keys (<<) as mgmt does: written keys win, earlier merged mappings win over later ones', () => {
    const text = [
      'graph: merged',
      'resources:',
      '  file:',
      '  - &base',
      '    name: /tmp/a',
      '    mode: "0640"',
      '    content: base',
      '    meta: &slow {retry: 3, delay: 100}',
      '  - <<: *base',
      '    name: /tmp/b',
      '  - <<: [{content: first, state: exists}, *base]',
      '    name: /tmp/c',
      '    meta: {<<: *slow, retry: 5}',
      '  exec:',
      '  - name: e',
      '    cmd: /bin/true',
      '    env: {<<: {A: "1", B: "2"}, B: "3"}',
      '',
    ].join('\n');
    const spec = parseGraphYaml(text, 'g.yaml');
    const byName = new Map(spec.resources.map((resource) => [resource.name, resource]));
    expect(byName.get('/tmp/b')?.params).toEqual({ mode: '0640', content: 'base' });
    expect(byName.get('/tmp/b')?.meta).toEqual({ retry: 3, delay: 100 });
    expect(byName.get('/tmp/c')?.params).toEqual({ content: 'first', state: 'exists', mode: '0640' });
    expect(byName.get('/tmp/c')?.meta).toEqual({ retry: 5, delay: 100 });
    expect(byName.get('e')?.params).toEqual({ cmd: '/bin/true', env: { A: '1', B: '3' } });
    // A merged param is located where it was written (line 6), so a problem with it points there.
    expect(byName.get('/tmp/b')?.paramLocations.get('mode')?.line).toBe(6);
    expect(problemsOf('graph: g\nresources:\n  file:\n  - <<: 3\n    name: /tmp/x\n')).toEqual([
      expect.objectContaining({ code: 'ERR_GRAPH_SHAPE', line: 4, message: expect.stringContaining('merge key') }),
    ]);
    // QA: an unknown alias was told twice, the second time as "a merge key takes a mapping".
    expect(problemsOf('graph: g\nresources:\n  file:\n  - <<: *nope\n    name: /tmp/x\n  - <<: [*nope2]\n    name: /tmp/y\n').map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      "4: unknown alias '*nope'",
      "6: unknown alias '*nope2'",
    ]);
    // In a plain value, and as a name, it is told once too, without a follow-on about its type (QA: twice, or three times).
    expect(problemsOf('graph: g\nresources:\n  file:\n  - name: /tmp/x\n    content: *nope\n  - name: *nope3\n').map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      "5: unknown alias '*nope'",
      "6: unknown alias '*nope3'",
    ]);
  });

  it('reads an mgmt-style graph with our extensions, keeping where everything was written', async () => {
    const path = join(GOOD, 'hello.yaml');
    const spec = parseGraphYaml(await readGraphFile(path), path);
    expect(spec.name).toBe('mygraph');
    expect(spec.comment).toBe('hello world example');
    expect(spec.file).toBe(path);
    expect(spec.plugins).toEqual(['converge-res-example']);
    expect(spec.resources.map((resource) => `${resource.kind}[${resource.name}]`)).toEqual(['noop[noop1]', 'file[file1]', 'exec[date]']);
    const file = spec.resources[1];
    expect(file?.params).toEqual({ path: '/tmp/converge-hello-world', content: 'hello world\n', state: 'exists' });
    expect(file?.meta).toEqual({ retry: 3, delay: 500, limit: Number.POSITIVE_INFINITY, sema: ['disk', 'net:2'] });
    expect(file?.location).toEqual({ file: path, line: 10, column: 5 });
    expect(file?.paramLocations.get('path')).toEqual({ file: path, line: 11, column: 11 });
    expect(file?.paramLocations.get('content')).toEqual({ file: path, line: 12, column: 14 });
    expect(file?.metaLocations.get('limit')).toEqual({ file: path, line: 18, column: 14 });
    expect(spec.resources[2]?.params).toEqual({ cmd: 'date', args: ['--utc'] });
    expect(spec.edges).toEqual([
      { name: 'e1', from: { kind: 'noop', name: 'noop1' }, to: { kind: 'file', name: 'file1' }, notify: true, location: { file: path, line: 25, column: 3 } },
      {
        name: 'e2',
        from: { kind: 'exec', name: 'date' },
        to: { kind: 'file', name: 'file1' },
        notify: false,
        send: 'output',
        recv: 'content',
        location: { file: path, line: 33, column: 3 },
      },
    ]);
  });

  it('takes a graph with only a name, as mgmt does (resources and edges may be absent or empty)', async () => {
    expect(parseGraphYaml(await readGraphFile(join(GOOD, 'minimal.yaml')), 'm.yaml')).toEqual({
      name: 'empty',
      file: 'm.yaml',
      resources: [],
      edges: [],
      plugins: [],
    });
    expect(parseGraphYaml('graph: g\nresources: {}\nedges: []\n', 'g.yaml').resources).toEqual([]);
    expect(parseGraphYaml('graph: g\nresources:\nedges:\n', 'g.yaml').edges).toEqual([]);
  });

  it('expands aliases in params and accepts the core tags', () => {
    const spec = parseGraphYaml('graph: g\nresources:\n  noop:\n  - name: a\n    x: &v {k: [1, 2]}\n    y: *v\n    z: !!str 12\n', 'g.yaml');
    expect(spec.resources[0]?.params).toEqual({ x: { k: [1, 2] }, y: { k: [1, 2] }, z: '12' });
  });

  it('collects every problem of a file at once, in file order, each with file:line:column', () => {
    const problems = problemsOf(
      [
        'graph: [x]', //                      1: not a string
        'grpah: x', //                         2: unknown key, suggestion
        'resources:',
        '  file:',
        '  - name: /a',
        '    meta: 3', //                      6: meta not a mapping
        '  - path: /b', //                     7: no name
        'edges:',
        '- from: {kind: file}', //             9: no name in from
        '  to: {kind: file, name: /a}',
        '  notify: "true"', //                11: not a boolean
      ].join('\n'),
    );
    expect(problems.map(({ code, line, column }) => [code, line, column])).toEqual([
      ['ERR_GRAPH_SHAPE', 1, 8],
      ['ERR_GRAPH_SHAPE', 2, 1],
      ['ERR_GRAPH_SHAPE', 6, 11],
      ['ERR_GRAPH_SHAPE', 7, 5],
      ['ERR_GRAPH_SHAPE', 9, 9],
      ['ERR_GRAPH_SHAPE', 11, 11],
    ]);
    expect(problems[1]?.hint).toBe("did you mean 'graph'?");
    expect(problems[0]?.message).toContain("'graph' (the graph's name) must be a string, not a list");
  });

  it('refuses custom tags, prototype keys and documents that expand too far', () => {
    expect(problemsOf('graph: g\ncomment: !custom 1\n')[0]).toMatchObject({ code: 'ERR_YAML_SYNTAX', line: 2, message: "the tag '!custom' is not allowed" });
    expect(problemsOf('graph: g\nresources:\n  noop:\n  - name: a\n    constructor: 1\n')[0]).toMatchObject({ code: 'ERR_GRAPH_SHAPE', line: 5 });
    const laughs = ['graph: g', 'resources:', '  noop:', '  - name: a', '    l0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 12; level += 1) laughs.push(`    l${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(', ')}]`);
    const started = Date.now();
    expect(problemsOf(laughs.join('\n'))[0]?.message).toMatch(/too large/);
    // Stopped early, not after expanding 10^13 nodes (which would take hours): a loose bound, as a loaded CI machine is slow.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses text that is not YAML: NUL bytes and unpaired surrogates, with their position', () => {
    expect(problemsOf('graph: g\ncomment: a\u0000b\n')[0]).toMatchObject({ code: 'ERR_YAML_SYNTAX', line: 2, column: 11 });
    expect(problemsOf('graph: g\n\n  \uD800\n')[0]).toMatchObject({ code: 'ERR_YAML_SYNTAX', line: 3, column: 3 });
  });

  it('refuses empty files, several documents and non-mappings', () => {
    expect(problemsOf('')[0]).toMatchObject({ code: 'ERR_GRAPH_SHAPE', line: 1, message: 'the graph file is empty' });
    expect(problemsOf('~\n')[0]).toMatchObject({ code: 'ERR_GRAPH_SHAPE', message: 'the graph file is empty' });
    expect(problemsOf('just a string\n')[0]).toMatchObject({ code: 'ERR_GRAPH_SHAPE', message: "the graph file must be a mapping, not the string 'just a string'" });
    expect(problemsOf('graph: a\n---\ngraph: b\n---\ngraph: c\n')[0]).toMatchObject({ code: 'ERR_GRAPH_SHAPE', line: 2 });
  });

  it('reports YAML syntax errors and duplicate keys at their position', () => {
    expect(problemsOf('graph: g\ngraph: h\n')[0]).toMatchObject({ code: 'ERR_YAML_SYNTAX', line: 2, column: 1 });
    expect(problemsOf('graph: [g\n')[0]).toMatchObject({ code: 'ERR_YAML_SYNTAX' });
  });

  it('says what to do about the common YAML mistakes', () => {
    const twice = 'graph: g\nresources:\n  noop:\n  - name: a\n  noop:\n  - name: b\n';
    expect(problemsOf(twice)[0]?.hint).toMatch(/resources of one kind go in one list/);
    const misaligned = 'graph: g\nresources:\n  noop:\n  - name: a\n   - name: b\n';
    expect(problemsOf(misaligned)[0]?.hint).toMatch(/same column/);
    // An item further left than the list it belongs to.
    const outdented = 'graph: g\nresources:\n  file:\n    - name: /tmp/a\n      state: exists\n - name: /tmp/b\n';
    expect(problemsOf(outdented)[0]).toMatchObject({ line: 6, hint: expect.stringMatching(/same column/) });
  });

  it('tells a top-level key indented under resources: at the key, not as a kind (QA: edges: read as a kind with no name)', () => {
    const edges = ['graph: s', 'resources:', '  noop:', '    - name: a', '    - name: b', '  edges:', '    - {from: {kind: noop, name: a}, to: {kind: noop, name: b}}'].join('\n');
    expect(problemsOf(edges)).toEqual([
      {
        code: 'ERR_GRAPH_SHAPE',
        line: 6,
        column: 3,
        message: "'edges' is a top-level key, indented under resources:",
        hint: 'move edges: to column 1, as resources: is, and the lines under it 2 columns left with it',
      },
    ]);
    // With a name in its entry it was a kind to look up a plugin for (QA): not a kind either.
    for (const [key, value] of [['collect', '[{kind: file, name: x}]'], ['graph', 'other'], ['comment', 'text'], ['plugins', '[converge-res-foo]'], ['schedule', '{strategy: first}']]) {
      const text = ['graph: s', 'resources:', '  noop:', '    - name: a', `  ${key}: ${value}`].join('\n');
      expect(problemsOf(text).map((problem) => [problem.line, problem.column, problem.message])).toEqual([[5, 3, `'${key}' is a top-level key, indented under resources:`]]);
    }
  });

  it("says a list item needs a space after its dash where `-name: b` was written (QA: read as the kind '-name')", () => {
    const hint = "a list item's - is followed by a space: write `- name:`";
    // Where a kind goes.
    expect(problemsOf(['graph: s', 'resources:', '  noop:', '    - name: a', '  -name: b'].join('\n'))).toEqual([
      { code: 'ERR_GRAPH_SHAPE', line: 5, column: 3, message: "'-name' is read as a kind, not as a list item", hint: `${hint}, lined up with the items of its list` },
    ]);
    // As the kind's only entry: a mapping where its list goes.
    expect(problemsOf(['graph: s', 'resources:', '  noop:', '    -name: b'].join('\n'))).toEqual([
      { code: 'ERR_GRAPH_SHAPE', line: 4, column: 5, message: "the resources of kind 'noop' must be a list, not a mapping", hint: `'-name' is read as a key, not as a list item; ${hint}` },
    ]);
    // Among the items: out of line with the item's keys, at the dash.
    expect(problemsOf(['graph: s', 'resources:', '  noop:', '    - name: a', '    -name: b'].join('\n'))).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 5, column: 5, message: "'-name' is read as a key, not as a list item", hint },
    ]);
  });

  it('says so too where `-name:` has its params under it, once, without the parser messages that follow from it (QA: six of them, none naming -name)', () => {
    const hint = "a list item's - is followed by a space: write `- name:`";
    const kindLevel = ['graph: t', 'resources:', '  exec:', '  - name: a', '    cmd: /bin/true', '  -name: tick', '    cmd: echo x >> /tmp/x', '    shell: /bin/sh', '  - name: b', '    cmd: /bin/true'];
    expect(problemsOf(kindLevel.join('\n'))).toEqual([
      { code: 'ERR_GRAPH_SHAPE', line: 6, column: 3, message: "'-name' is read as a kind, not as a list item", hint: `${hint}, lined up with the items of its list` },
    ]);
    // The last item, or followed by another kind: the same.
    for (const end of [6, 8]) {
      expect(problemsOf([...kindLevel.slice(0, end), '  file:', '  - name: /tmp/x'].join('\n')).map((problem) => [problem.line, problem.column, problem.message])).toEqual([
        [6, 3, "'-name' is read as a kind, not as a list item"],
      ]);
    }
    // Among items indented under their kind: read as a key, at the dash.
    const itemLevel = ['graph: t', 'resources:', '  exec:', '    - name: a', '      cmd: x', '    -name: tick', '      cmd: y', '    - name: b', '      cmd: z'].join('\n');
    expect(problemsOf(itemLevel)).toEqual([{ code: 'ERR_YAML_SYNTAX', line: 6, column: 5, message: "'-name' is read as a key, not as a list item", hint }]);
    // Written as the hint says, it loads.
    expect(parseGraphYaml(kindLevel.join('\n').replace('-name', '- name'), 'g.yaml').resources.map((resource) => resource.name)).toEqual(['a', 'tick', 'b']);
  });

  it("says a kind written without its colon above its list needs one, once, at the word (QA: eight parser messages, none saying a ':' is missing)", () => {
    const text = ['graph: t', 'resources:', '  noop:', '  - name: a', '    comment: x', '  file', '  - name: /tmp/x', '    state: exists', '    mode: "0755"', '  - name: /tmp/y', '    state: exists'].join('\n');
    expect(problemsOf(text)).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 6, column: 3, message: "'file' needs a colon after it, as the key of the list below it", hint: 'write `file:`' },
    ]);
    // The first kind, with a comment, its list further in; a top-level key: the same.
    for (const [lines, line, column, word] of [
      [['graph: t', 'resources:', '  file # the files', '  - name: /tmp/x'], 3, 3, 'file'],
      [['graph: t', 'resources:', '  noop:', '  - name: a', '  file', '    - {name: /tmp/x}'], 5, 3, 'file'],
      [['graph: t', 'resources:', '  noop:', '  - name: a', 'edges', '- from: {kind: noop, name: a}', '  to: {kind: noop, name: a}'], 5, 1, 'edges'],
    ] as const) {
      expect(problemsOf(lines.join('\n')).map((problem) => [problem.line, problem.column, problem.message])).toEqual([[line, column, `'${word}' needs a colon after it, as the key of the list below it`]]);
    }
    // A word between the items of a param's list is an item that lost its dash, not a key: the parser's message.
    const item = ['graph: t', 'resources:', '  exec:', '  - name: a', '    args:', '    - x', '    y', '    - z'].join('\n');
    expect(problemsOf(item).map((problem) => problem.message)).toEqual(['Implicit map keys need to be followed by map values']);
  });

  it("says a key written without its colon before a block scalar's indicator needs one, at the key (QA: content | gave 'Implicit keys need to be on a single line')", () => {
    const text = ['graph: t', 'resources:', '  file:', '  - name: /tmp/x', '    state: exists', '    content |', '      server_name x;', '      workers 8;', '    mode: "0644"'].join('\n');
    expect(problemsOf(text)).toEqual([{ code: 'ERR_YAML_SYNTAX', line: 6, column: 5, message: "'content' needs a colon before its |", hint: 'write `content: |`' }]);
    // As the hint says, it loads.
    expect(parseGraphYaml(text.replace('content |', 'content: |'), 'g.yaml').resources[0]?.params).toEqual({ state: 'exists', content: 'server_name x;\nworkers 8;\n', mode: '0644' });
    // The first key of an item, a folded block with a chomping indicator, an empty block at the end.
    expect(problemsOf(['graph: t', 'resources:', '  file:', '  - content >- # the text', '      a', '    name: /tmp/x'].join('\n'))).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 4, column: 5, message: "'content' needs a colon before its >-", hint: 'write `content: >-`' },
    ]);
    expect(problemsOf(['graph: t', 'resources:', '  file:', '  - name: /tmp/x', '    content |'].join('\n')).map((problem) => [problem.line, problem.column, problem.message])).toEqual([
      [5, 5, "'content' needs a colon before its |"],
    ]);
  });

  it('names a key written twice and the line it was first written on (QA: neither was said, with a hint about kinds)', () => {
    const text = ['graph: s', 'resources:', '  file:', '    - name: /tmp/x', '      content: a', '      state: exists', '      content: b'].join('\n');
    expect(problemsOf(text)).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 7, column: 7, message: "the key 'content' is written twice in one mapping (first on line 5)", hint: 'remove one of them: a mapping holds each key once' },
    ]);
    // A kind twice: its resources go in one list.
    const twice = problemsOf('graph: g\nresources:\n  noop:\n  - name: a\n  file: []\n  noop:\n  - name: b\n');
    expect(twice.map((problem) => [problem.line, problem.message, problem.hint])).toEqual([
      [6, "the key 'noop' is written twice in one mapping (first on line 3)", "resources of one kind go in one list under one 'noop:': move this list's entries into the one on line 3, and remove this 'noop:'"],
    ]);
    expect(problemsOf('graph: g\nresources:\n  noop: [{name: a, name: b}]\n')[0]?.message).toBe("the key 'name' is written twice in one mapping (first on line 3)");
  });

  it('tells a line of a block scalar that starts with a tab once, at the line, with how to write it (QA: a Makefile in content: |)', () => {
    const makefile = ['graph: mk', 'resources:', '  file:', '    - name: /tmp/x/Makefile', '      state: exists', '      content: |', '        all:', '\techo hi'].join('\n');
    expect(problemsOf(makefile)).toEqual([
      {
        code: 'ERR_YAML_SYNTAX',
        line: 8,
        column: 1,
        message: "this line starts with a tab, which YAML does not allow as indentation of a block scalar ('content: |' on line 6)",
        hint: "indent the line with spaces to the block's indentation (8), then the tab: `        \\techo hi` (\\t being the tab); or write the value as a double-quoted string, with \\t for each tab",
      },
    ]);
    // Written so, it loads, the tab kept.
    expect(parseGraphYaml(makefile.replace('\n\techo', '\n        \techo'), 'g.yaml').resources[0]?.params.content).toBe('all:\n\techo hi\n');
    // Several such lines, the first line of the block one of them, after a few spaces, in a folded or a list's block: one problem, naming the others.
    const several = ['graph: mk', 'resources:', '  exec:', '    - name: x', '      args:', '        - >-', '  \tone', '          two', '', '\tthree', '    - name: y'].join('\n');
    expect(problemsOf(several).map((problem) => [problem.line, problem.column, problem.message, problem.hint?.split(' (\\t')[0]])).toEqual([
      [7, 1, "this line starts with a tab, which YAML does not allow as indentation of a block scalar ('- >-' on line 6) (so does line 10)", "indent the line with spaces to the block's indentation (10), then the tab: `          \\tone`"],
    ]);
    // A tab outside a block scalar is the parser's own message, with its hint.
    expect(problemsOf('graph: g\nresources:\n\tnoop: []\n')).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 3, column: 1, message: 'Tabs are not allowed as indentation', hint: 'indent with spaces: YAML does not allow tabs there' },
    ]);
    // Before a list item: the tab alone, not what the parser then makes of the list above it (QA: four problems, the first not the tab).
    expect(problemsOf('graph: t\nresources:\n  noop:\n\t- name: a\n')).toEqual([
      { code: 'ERR_YAML_SYNTAX', line: 4, column: 1, message: 'Tabs are not allowed as indentation', hint: 'indent with spaces: YAML does not allow tabs there' },
    ]);
  });

  it("tells a tab-led key after a block scalar as the resource's key, to indent like its other keys (QA: the hint to indent it to the block's indentation made it a line of the content)", () => {
    const tabbed = ['graph: t', 'resources:', '  file:', '  - name: /tmp/t.conf', '    state: exists', '    content: |', '      a = 1', '\tmode: "0600"'].join('\n');
    expect(problemsOf(tabbed)).toEqual([
      {
        code: 'ERR_YAML_SYNTAX',
        line: 8,
        column: 1,
        message: "this line starts with a tab, which YAML does not allow as indentation; it looks like the key 'mode' of this resource, after the block 'content: |' (line 6)",
        hint: "indent it with spaces like the resource's other keys (4 spaces): `    mode: \"0600\"`; indented 6 spaces, it would be a line of the block's text",
      },
    ]);
    // Written as the hint says, the mode is managed and the content is the block's line alone.
    expect(parseGraphYaml(tabbed.replace('\n\tmode', '\n    mode'), 'g.yaml').resources[0]?.params).toEqual({ state: 'exists', content: 'a = 1\n', mode: '0600' });
    // Any key, with keys after it, spaces before the tab, in a resource written `- name:` further in.
    const more = ['graph: t', 'resources:', '  file:', '    - name: /tmp/t.conf', '      content: |', '        a = 1', '', '  \tmeta:', '        retry: 2', '      owner: root'].join('\n');
    expect(problemsOf(more).map((problem) => [problem.line, problem.column, problem.message, problem.hint])).toEqual([
      [8, 1, "this line starts with a tab, which YAML does not allow as indentation; it looks like the key 'meta' of this resource, after the block 'content: |' (line 5)",
        "indent it with spaces like the resource's other keys (6 spaces): `      meta:`; indented 8 spaces, it would be a line of the block's text"],
    ]);
    // A block in a param's mapping: a key of that mapping.
    const nested = ['graph: t', 'resources:', '  exec:', '  - name: x', '    env:', '      A: |', '        one', '\tB: two'].join('\n');
    expect(problemsOf(nested).map((problem) => [problem.line, problem.message, problem.hint?.split(':')[0]])).toEqual([
      [8, "this line starts with a tab, which YAML does not allow as indentation; it looks like the key 'B' of the mapping that holds 'A', after the block 'A: |' (line 6)", 'indent it with spaces like its other keys (6 spaces)'],
    ]);
    // After a line that opens a nested part of the text (a Makefile's target, a parent key), it is the text's: the block's hint.
    for (const above of ['all:', 'server:', 'CFLAGS = -O2 \\']) {
      const text = ['graph: t', 'resources:', '  file:', '  - name: /tmp/t.conf', '    content: |', `      ${above}`, '\tport: 80'].join('\n');
      expect(problemsOf(text).map((problem) => [problem.line, problem.column, problem.message])).toEqual([
        [7, 1, "this line starts with a tab, which YAML does not allow as indentation of a block scalar ('content: |' on line 5)"],
      ]);
    }
  });
});

describe('readGraphFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-yaml-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileProblem(path: string) {
    const error = await readGraphFile(path).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GraphLoadError);
    return (error as GraphLoadError).problems[0];
  }

  it('reads UTF-8 text, BOM and all', async () => {
    const path = join(dir, 'ok.yaml');
    await writeFile(path, '\uFEFFgraph: café\n');
    expect(parseGraphYaml(await readGraphFile(path), path).name).toBe('café');
  });

  it('names the path of a missing file or a directory', async () => {
    const missing = join(dir, 'missing.yaml');
    expect(await fileProblem(missing)).toMatchObject({ code: 'ERR_GRAPH_FILE', message: `${missing} does not exist` });
    const folder = join(dir, 'folder.yaml');
    await mkdir(folder);
    expect(await fileProblem(folder)).toMatchObject({ code: 'ERR_GRAPH_FILE', message: `${folder} is a directory, not a graph file` });
    expect(await fileProblem('/dev/null')).toMatchObject({ message: '/dev/null is neither a regular file nor a pipe', hint: expect.stringContaining('pipe the graph in') });
  });

  it('reads a named pipe whose writer comes after the reader (QA: read as an empty graph), once: a later read gets the same text; and names a link whose target is gone (QA)', async () => {
    const written = join(dir, 'written.yaml');
    execFileSync('mkfifo', [written]);
    const reading = readGraphFile(written);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The writer opens the pipe after the reader, and writes after a pause.
    const writer = spawn('sh', ['-c', `exec > "${written}"; sleep 0.3; printf 'graph: piped\\n'`]);
    const writerDone = new Promise((resolve) => writer.on('close', resolve));
    expect(await reading).toBe('graph: piped\n');
    await writerDone;
    // Read again (a reload, a second parse): the pipe has nothing more, the text read first is kept.
    expect(await readGraphFile(written)).toBe('graph: piped\n');
    const link = join(dir, 'dangling.yaml');
    await symlink(join(dir, 'nowhere.yaml'), link);
    expect(await fileProblem(link)).toMatchObject({
      message: `${link} is a symlink to ${join(dir, 'nowhere.yaml')}, which does not exist`,
      hint: expect.stringContaining('point the link'),
    });
    expect((await fileProblem(join(dir, 'missing.yaml')))?.hint).toBe('check the path (a relative path starts at the current folder)');
  });

  it('refuses files over 16 MiB without reading them', async () => {
    const big = join(dir, 'big.yaml');
    await writeFile(big, '');
    await truncate(big, MAX_GRAPH_FILE_BYTES + 1);
    expect((await fileProblem(big))?.message).toMatch(/at most 16777216 bytes/);
  });

  it('points at the first byte that is not UTF-8', async () => {
    const path = join(dir, 'latin1.yaml');
    await writeFile(path, Buffer.concat([Buffer.from('graph: g\ncomment: ok\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(await fileProblem(path)).toMatchObject({ code: 'ERR_GRAPH_FILE', location: { file: path, line: 3, column: 10 } });
  });
});
