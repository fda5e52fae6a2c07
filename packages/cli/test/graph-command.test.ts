import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { xmlProblems } from './support/xmllint.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const SECRET = 'TOPSECRET-CONTENT';

/**
 * A folder with two files in it (res-file adds folder -> file autoedges), a
 * notify edge, a password sent into a file, and two noops that group (the
 * same parents, the same notify flags).
 */
function picturesGraph(dir: string): string {
  return `graph: pictures
resources:
  file:
    - name: ${dir}/app/
      state: exists
    - name: ${dir}/app/config
      state: exists
      content: ${SECRET}
    - name: ${dir}/app/secret
      state: exists
      mode: "0600"
  password:
    - name: db
      length: 16
  noop:
    - name: reload
    - name: audit
    - name: quiet
      meta: {hidden: true}
edges:
  - name: config-reload
    from: {kind: file, name: ${dir}/app/config}
    to: {kind: noop, name: reload}
    notify: true
  - name: db-secret
    from: {kind: password, name: db}
    to: {kind: file, name: ${dir}/app/secret}
    send: password
    recv: content
  - name: quiet-audit
    from: {kind: noop, name: quiet}
    to: {kind: noop, name: audit}
  # The same parents (and notify flags) as reload's: the two group.
  - name: config-audit
    from: {kind: file, name: ${dir}/app/config}
    to: {kind: noop, name: audit}
    notify: true
  - name: quiet-reload
    from: {kind: noop, name: quiet}
    to: {kind: noop, name: reload}
`;
}

async function pictures(): Promise<{ dir: string; graph: string }> {
  const dir = await makeTempDir();
  return { dir, graph: await writeGraph(dir, 'graph.yaml', picturesGraph(dir)) };
}

describe('converge graph', () => {
  it('prints JSON with autoedges, edge kinds and groups, and no param values', async () => {
    const { dir, graph } = await pictures();

    const result = await runCli(['graph', '--format', 'json', graph]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const picture = JSON.parse(result.stdout) as {
      graph: string;
      resources: { id: string; kind: string; name: string; group: string[] }[];
      edges: { from: string; to: string; origin: string; notify: boolean; send: string | null; recv: string | null }[];
    };
    expect(picture.graph).toBe('pictures');
    expect(picture.resources.map((resource) => resource.id).sort()).toEqual(
      [`file[${dir}/app/]`, `file[${dir}/app/config]`, `file[${dir}/app/secret]`, 'noop[reload]', 'password[db]'].sort(),
    );
    expect(picture.resources.find((resource) => resource.id === 'noop[reload]')).toEqual({ id: 'noop[reload]', kind: 'noop', name: 'reload', group: ['noop[audit]'] });
    expect(picture.edges).toEqual(
      expect.arrayContaining([
        { from: `file[${dir}/app/config]`, to: 'noop[reload]', origin: 'explicit', notify: true, send: null, recv: null },
        { from: 'password[db]', to: `file[${dir}/app/secret]`, origin: 'explicit', notify: false, send: 'password', recv: 'content' },
        { from: `file[${dir}/app/]`, to: `file[${dir}/app/config]`, origin: 'auto', notify: false, send: null, recv: null },
        { from: `file[${dir}/app/]`, to: `file[${dir}/app/secret]`, origin: 'auto', notify: false, send: null, recv: null },
      ]),
    );
    expect(picture.edges).toHaveLength(4);
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).not.toContain('quiet');
  });

  it('prints DOT with autoedges dashed, notify bold, send/recv labelled and groups as clusters', async () => {
    const { dir, graph } = await pictures();

    const result = await runCli(['graph', graph]);

    expect(result.code).toBe(0);
    const dot = result.stdout;
    expect(dot).toMatch(/^digraph "pictures" \{/);
    // Each resource a node of its own, labelled with its id.
    const node = (id: string): string => {
      const found = dot.split('\n').find((line) => line.includes(` [label="${id}"`));
      if (!found) throw new Error(`no node for ${id} in\n${dot}`);
      return found.trim().split(' ')[0] as string;
    };
    expect(dot).toContain(`${node(`file[${dir}/app/]`)} -> ${node(`file[${dir}/app/config]`)} [style=dashed];`);
    expect(dot).toContain(`${node(`file[${dir}/app/config]`)} -> ${node('noop[reload]')} [style=bold, label="notify"];`);
    expect(dot).toContain(`${node('password[db]')} -> ${node(`file[${dir}/app/secret]`)} [label="password→content"];`);
    expect(dot).toMatch(/subgraph "cluster_\d+" \{\n\s+label="group of noop\[reload\]";[^}]*r\d+ \[label="noop\[audit\]"\];/);
    expect(dot).not.toContain(SECRET);
  });

  it('prints a Mermaid flowchart with the same edge kinds', async () => {
    const { dir, graph } = await pictures();

    const result = await runCli(['graph', '--format', 'mermaid', graph]);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('flowchart TD');
    const node = (id: string): string => {
      const line = lines.find((candidate) => candidate.endsWith(`["${id}"]`));
      if (!line) throw new Error(`no node for ${id} in\n${result.stdout}`);
      return line.trim().split('[')[0] as string;
    };
    expect(lines).toContain(`  ${node(`file[${dir}/app/]`)} -.-> ${node(`file[${dir}/app/config]`)}`);
    expect(lines).toContain(`  ${node(`file[${dir}/app/config]`)} ==>|"notify"| ${node('noop[reload]')}`);
    expect(lines).toContain(`  ${node('password[db]')} -->|"password→content"| ${node(`file[${dir}/app/secret]`)}`);
    expect(result.stdout).toMatch(/subgraph g\d+ \["group of noop\[reload\]"\]\n\s+r\d+\["noop\[reload\]"\]\n\s+r\d+\["noop\[audit\]"\]\n\s+end/);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('draws a well-formed SVG with one box per vertex, layered from the roots', async () => {
    const { dir, graph } = await pictures();

    const result = await runCli(['graph', '--format', 'svg', graph]);

    expect(result.code).toBe(0);
    expect(await xmlProblems(result.stdout)).toBe('');
    const svg = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(result.stdout) as {
      svg: { g: { class: string; 'data-id'?: string; 'data-from'?: string; rect?: { y: string }; line?: { 'stroke-dasharray'?: string } | object[] }[] };
    };
    const groups = svg.svg.g;
    const boxes = groups.filter((group) => group.class === 'resource');
    expect(boxes.map((box) => box['data-id']).sort()).toEqual(
      [`file[${dir}/app/]`, `file[${dir}/app/config]`, `file[${dir}/app/secret]`, 'noop[reload]', 'password[db]'].sort(),
    );
    const top = (id: string): number => Number(boxes.find((box) => box['data-id'] === id)?.rect?.y);
    // Layers: the folder and the password are roots; the files one below; reload below config.
    expect(top(`file[${dir}/app/]`)).toBe(top('password[db]'));
    expect(top(`file[${dir}/app/config]`)).toBeGreaterThan(top(`file[${dir}/app/]`));
    expect(top('noop[reload]')).toBeGreaterThan(top(`file[${dir}/app/config]`));
    const edges = groups.filter((group) => group.class.startsWith('edge'));
    expect(edges.map((edge) => edge.class).sort()).toEqual(['edge auto', 'edge auto', 'edge explicit', 'edge explicit notify']);
    for (const edge of edges.filter((candidate) => candidate.class === 'edge auto')) {
      expect(edge.line).toHaveProperty('stroke-dasharray');
    }
    expect(result.stdout).toContain('password→content');
    expect(result.stdout).not.toContain(SECRET);
  });

  it('exits 2 with the problems of a bad graph, and on a cycle closed by autoedges', async () => {
    const dir = await makeTempDir();
    const typo = await writeGraph(dir, 'typo.yaml', 'graph: g\nresources:\n  nop:\n    - name: one\n');
    const cyclic = await writeGraph(
      dir,
      'cyclic.yaml',
      `graph: g
resources:
  file:
    - name: ${dir}/d/
    - name: ${dir}/d/f
  noop:
    - name: between
edges:
  - from: {kind: file, name: ${dir}/d/f}
    to: {kind: noop, name: between}
  - from: {kind: noop, name: between}
    to: {kind: file, name: ${dir}/d/}
`,
    );

    const bad = await runCli(['graph', typo]);
    const cycle = await runCli(['graph', '--format', 'json', cyclic]);
    const format = await runCli(['graph', '--format', 'png', typo]);

    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/typo\.yaml:[34]:\d+: /);
    expect(cycle.code).toBe(2);
    expect(cycle.stdout).toBe('');
    expect(cycle.stderr).toMatch(/cycle/i);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/png/);
  });

  it('draws two resources whose names differ by an escape written or typed as two nodes, their labels told apart (QA: one DOT node, and a cycle)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: coll
resources:
  noop:
    - {name: "new\\nline", meta: {autogroup: false}}
    - {name: 'new\\nline', meta: {autogroup: false}}
    - {name: start, meta: {autogroup: false}}
    - {name: "z\\u200b", meta: {autogroup: false}}
    - {name: 'z\\u200b', meta: {autogroup: false}}
    - {name: 'a#amp;b', meta: {autogroup: false}}
    - {name: 'a&b', meta: {autogroup: false}}
    - {name: "esc\\e[1m", meta: {autogroup: false}}
edges:
  - {from: {kind: noop, name: "new\\nline"}, to: {kind: noop, name: start}}
  - {from: {kind: noop, name: start}, to: {kind: noop, name: 'new\\nline'}}
`,
    );
    // As each format writes the real newline's and the typed one's, and the zero-width space's.
    const realNewline = 'noop[new\\nline]';
    const typedNewline = 'noop[new\\\\nline]';

    const drawn = (format: string) => runCli(['graph', '--format', format, graph]);
    const [dot, mermaid, svg] = await Promise.all([drawn('dot'), drawn('mermaid'), drawn('svg')]);
    expect(dot.code, dot.stderr).toBe(0);
    const labels = new Map([...dot.stdout.matchAll(/^\s+(r\d+) \[label="((?:[^"\\]|\\.)*)"\];$/gm)].map((match) => [match[1], match[2]]));
    // DOT doubles each backslash once more, as a label reads its own escapes.
    const dotLabel = (shown: string): string => shown.replace(/\\/g, '\\\\');
    expect([...labels.values()].sort()).toEqual(
      [realNewline, typedNewline, 'noop[start]', 'noop[z\\u200b]', 'noop[z\\\\u200b]', 'noop[a#amp;b]', 'noop[a&b]', 'noop[esc\\u001b[1m]'].map(dotLabel).sort(),
    );
    const edges = [...dot.stdout.matchAll(/^\s+(r\d+) -> (r\d+);$/gm)].map((match) => [labels.get(match[1] as string), labels.get(match[2] as string)]);
    expect(edges).toEqual([
      [dotLabel(realNewline), 'noop[start]'],
      ['noop[start]', dotLabel(typedNewline)],
    ]);

    expect(mermaid.code, mermaid.stderr).toBe(0);
    const mermaidLabels = [...mermaid.stdout.matchAll(/^\s+r\d+\["(.*)"\]$/gm)].map((match) => match[1]);
    // `#` is an entity too, or a name holding `#amp;` would show as one holding `&`.
    expect(mermaidLabels.sort()).toEqual(
      [realNewline, typedNewline, 'noop[start]', 'noop[z\\u200b]', 'noop[z\\\\u200b]', 'noop[a#35;amp;b]', 'noop[a#amp;b]', 'noop[esc\\u001b[1m]'].sort(),
    );

    expect(svg.code, svg.stderr).toBe(0);
    // No control character: XML cannot hold an escape character, even as a reference.
    expect(svg.stdout).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u200b]/);
    expect(await xmlProblems(svg.stdout)).toBe('');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg.stdout) as {
      svg: { g: { class: string; 'data-id'?: string; 'data-from'?: string; 'data-to'?: string; text?: string | { '#text': string } }[] };
    };
    const boxes = parsed.svg.g.filter((group) => group.class === 'resource');
    expect(boxes.map((box) => box['data-id']).sort()).toEqual(
      [realNewline, typedNewline, 'noop[start]', 'noop[z\\u200b]', 'noop[z\\\\u200b]', 'noop[a#amp;b]', 'noop[a&b]', 'noop[esc\\u001b[1m]'].sort(),
    );
    for (const box of boxes) expect(typeof box.text === 'object' ? box.text['#text'] : box.text).toBe(box['data-id']);
    expect(parsed.svg.g.filter((group) => group.class === 'edge explicit').map((edge) => [edge['data-from'], edge['data-to']])).toEqual([
      [realNewline, 'noop[start]'],
      ['noop[start]', typedNewline],
    ]);
  });

  it('writes an SVG that is XML 1.0 when a name holds U+FFFE, U+FFFF or half of a surrogate pair, each shown as an escape (QA: not XML)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: "g\\uFFFF"
resources:
  noop:
    - {name: "a\\uFFFE", meta: {autogroup: false}}
    - {name: "b\\uFFFF", meta: {autogroup: false}}
    - {name: "c\\uD800", meta: {autogroup: false}}
    - {name: "d\\uDC00x", meta: {autogroup: false}}
    - {name: "e\\uD83D\\uDE00", meta: {autogroup: false}}
edges:
  - {from: {kind: noop, name: "c\\uD800"}, to: {kind: noop, name: "a\\uFFFE"}}
`,
    );
    const svg = await runCli(['graph', '--format', 'svg', graph]);

    expect(svg.code, svg.stderr).toBe(0);
    expect(await xmlProblems(svg.stdout)).toBe('');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg.stdout) as {
      svg: { title: string; g: { class: string; 'data-id'?: string; 'data-from'?: string; 'data-to'?: string }[] };
    };
    expect(parsed.svg.title).toBe('g\\uffff');
    // Each lone half its own escape (as written out, every one would be U+FFFD); a whole pair is the emoji it makes.
    expect(parsed.svg.g.filter((group) => group.class === 'resource').map((box) => box['data-id'])).toEqual(
      expect.arrayContaining(['noop[a\\ufffe]', 'noop[b\\uffff]', 'noop[c\\ud800]', 'noop[d\\udc00x]', 'noop[e\u{1f600}]']),
    );
    expect(parsed.svg.g.filter((group) => group.class === 'edge explicit').map((edge) => [edge['data-from'], edge['data-to']])).toEqual([['noop[c\\ud800]', 'noop[a\\ufffe]']]);
  });

  it('draws the order a hidden resource carries as an edge through hidden resources, in every format (QA: two unconnected boxes)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: hidden
resources:
  noop:
    - {name: a}
    - {name: b}
    - {name: h1, meta: {hidden: true}}
    - {name: h2, meta: {hidden: true}}
    - {name: c}
    - {name: d}
edges:
  - {from: {kind: noop, name: a}, to: {kind: noop, name: h1}}
  - {from: {kind: noop, name: h1}, to: {kind: noop, name: h2}}
  - {from: {kind: noop, name: h2}, to: {kind: noop, name: c}}
  - {from: {kind: noop, name: b}, to: {kind: noop, name: h2}}
  # Joined already: no second edge.
  - {from: {kind: noop, name: b}, to: {kind: noop, name: c}, notify: true}
  - {from: {kind: noop, name: c}, to: {kind: noop, name: d}}
`,
    );

    const drawn = (format: string) => runCli(['graph', '--format', format, graph]);
    const [json, dot, mermaid, svg] = await Promise.all([drawn('json'), drawn('dot'), drawn('mermaid'), drawn('svg')]);
    expect(json.code, json.stderr).toBe(0);
    const picture = JSON.parse(json.stdout) as { resources: { id: string }[]; edges: { from: string; to: string; origin: string; notify: boolean }[] };
    expect(picture.resources.map((resource) => resource.id).sort()).toEqual(['noop[a]', 'noop[b]', 'noop[c]', 'noop[d]']);
    expect(picture.edges.map(({ from, to, origin, notify }) => [from, to, origin, notify])).toEqual([
      ['noop[b]', 'noop[c]', 'explicit', true],
      ['noop[c]', 'noop[d]', 'explicit', false],
      ['noop[a]', 'noop[c]', 'through-hidden', false],
    ]);
    expect(json.stdout).not.toContain('h1');

    const dotId = (id: string): string => dot.stdout.match(new RegExp(`(r\\d+) \\[label="${id.replace(/[[\]]/g, '\\$&')}"\\]`))?.[1] ?? `no ${id}`;
    expect(dot.stdout).toContain(`${dotId('noop[a]')} -> ${dotId('noop[c]')} [style=dotted, label="through hidden"];`);
    expect(dot.stdout).not.toContain('h1');

    const mermaidId = (id: string): string => mermaid.stdout.match(new RegExp(`(r\\d+)\\["${id.replace(/[[\]]/g, '\\$&')}"\\]`))?.[1] ?? `no ${id}`;
    expect(mermaid.stdout).toContain(`${mermaidId('noop[a]')} -.->|"through hidden"| ${mermaidId('noop[c]')}`);

    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg.stdout) as {
      svg: { g: { class: string; 'data-id'?: string; 'data-from'?: string; 'data-to'?: string; rect?: { y: string }; line?: { 'stroke-dasharray'?: string } }[] };
    };
    const through = parsed.svg.g.filter((group) => group.class === 'edge through-hidden');
    expect(through.map((edge) => [edge['data-from'], edge['data-to'], edge.line?.['stroke-dasharray']])).toEqual([['noop[a]', 'noop[c]', '2 3']]);
    expect(svg.stdout).toContain('>through hidden</text>');
    // Laid out as the run orders them: c below a.
    const top = (id: string): number => Number(parsed.svg.g.find((group) => group['data-id'] === id)?.rect?.y);
    expect(top('noop[c]')).toBeGreaterThan(top('noop[a]'));
  });

  it('keeps a name with a newline or an escape character on one line, escaped, in DOT and Mermaid', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  noop:\n  - name: "evil\\nconverged: noop[fake]\\e[31m"\n');
    for (const format of ['dot', 'mermaid']) {
      const result = await runCli(['graph', `--format=${format}`, graph]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/[\u001b]/);
      expect(result.stdout).not.toMatch(/^converged/m);
      // Written as escapes (DOT doubles the backslash of each).
      expect(result.stdout).toMatch(/evil\\+nconverged: noop\[fake\]\\+u001b\[31m/);
    }
  });
});
