import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// meta: {hidden: true} as mgmt means it: the resource is in the graph (edges
// order around it, it can be exported) but does not run on this host.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('meta: {hidden: true}', () => {
  it('is not run, and what depends on it runs', async () => {
    const dir = await makeTempDir();
    const hiddenMarker = join(dir, 'hidden-ran');
    const afterMarker = join(dir, 'after-ran');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: hidden
resources:
  exec:
  - name: not-here
    cmd: touch ${hiddenMarker}
    meta: {hidden: true}
  - name: after
    cmd: touch ${afterMarker}
  file:
  - name: ${join(dir, 'not-written')}
    state: exists
    content: "x\\n"
    meta: {hidden: true, export: ["*"]}
edges:
- {name: first, from: {kind: exec, name: not-here}, to: {kind: exec, name: after}}
`,
    );

    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(await exists(afterMarker)).toBe(true);
    expect(await exists(hiddenMarker)).toBe(false);
    expect(await exists(join(dir, 'not-written'))).toBe(false);
    expect(result.stdout).toContain('exec[after]');
    expect(result.stdout).not.toContain('not-here');
  });

  // mgmt's examples/yaml/graph3a.yaml, with its paths moved into a temp folder.
  const graph3a = (dir: string, inbox: string): string => `graph: mygraph
resources:
  file:
  - name: file1a
    path: "${inbox}/f1a"
    content: |
      i am f1
    state: exists
  - name: "@@file3a"
    path: "${inbox}/f3a"
    content: |
      i am f3, exported from host A
    state: exists
  - name: "@@elsewhere"
    path: "${join(dir, 'elsewhere', 'f5a')}"
    content: |
      i am f5
    state: exists
collect:
- kind: file
  pattern: "${inbox}/"
edges: []
`;

  it.each([
    ['a file', false],
    // Such a graph is read twice (its own hidden exports are collected from the graph as written): standard input can be read once.
    ['standard input', true],
  ])("on one host, a hidden export its own collect takes is applied there, as mgmt's '@@' graphs expect (graph in %s)", async (_from, piped) => {
    const dir = await makeTempDir();
    const inbox = join(dir, 'mgmtA');
    const text = graph3a(dir, inbox);
    const graph = piped ? '-' : await writeGraph(dir, 'graph3a.yaml', text);
    await mkdir(inbox);

    const result = await runCli(['run', ...ONCE, graph], piped ? { stdin: text } : {});

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("read the name '@@file3a' as 'file3a' with meta: {hidden: true, export: ['*']}");
    expect(await readFile(join(inbox, 'f1a'), 'utf8')).toBe('i am f1\n');
    expect(await readFile(join(inbox, 'f3a'), 'utf8')).toBe('i am f3, exported from host A\n');
    // Collected into the collect folder under its own name; never written where the graph put it.
    expect(await readFile(join(inbox, 'f5a'), 'utf8')).toBe('i am f5\n');
    expect(await exists(join(dir, 'elsewhere', 'f5a'))).toBe(false);
  });

  it('may manage what another resource manages (it changes nothing here), but cannot send', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'shared');
    const twoForOnePath = await writeGraph(
      dir,
      'two.yaml',
      `graph: two
resources:
  file:
  - {name: here, path: ${path}, state: exists, content: "here\\n"}
  - {name: elsewhere, path: ${path}, state: exists, content: "elsewhere\\n", meta: {hidden: true}}
`,
    );
    expect((await runCli(['validate', twoForOnePath])).code).toBe(0);

    const sender = await writeGraph(
      dir,
      'sender.yaml',
      `graph: sender
resources:
  password:
  - {name: pw, meta: {hidden: true}}
  file:
  - {name: ${path}, state: exists}
edges:
- {name: pw-in, from: {kind: password, name: pw}, to: {kind: file, name: ${path}}, send: password, recv: content}
`,
    );
    const refused = await runCli(['run', ...ONCE, sender]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `sender.yaml:8:3: password[pw]: password[pw] is hidden (meta: {hidden: true}): it does not run on this host, so it sends nothing to file[${path}]`,
    );
    expect(await exists(path)).toBe(false);
  });
});
