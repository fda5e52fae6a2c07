import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { BIN, killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('converge validate', () => {
  it('counts the resources and edges of a good graph', async () => {
    const result = await runCli(['validate', 'examples/hello.yaml']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('ok: 5 resources, 6 edges');
  });

  it('loads kinds from --plugin folders', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  fail:\n    - name: one\n');

    const result = await runCli(['validate', '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('ok: 1 resource, 0 edges');
  });

  it('finds a --plugin folder given relative to the current directory', async () => {
    const dir = await makeTempDir();
    await writeTestPlugin(dir);
    await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  fail:\n    - name: one\n');

    const found = await runCli(['validate', '--plugin', './converge-test-plugin', 'graph.yaml'], { cwd: dir });
    const missing = await runCli(['validate', '--plugin', './no-such-plugin', 'graph.yaml'], { cwd: dir });

    expect(found.code).toBe(0);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-plugin');
    // QA: the good graph was blamed ("1 problem in graph.yaml") for the missing --plugin.
    expect(missing.stderr).toContain('1 problem loading graph.yaml; nothing was applied');
    expect(missing.stderr).not.toContain('in graph.yaml');
  });

  it('reports the problems of a bad graph with file:line and exits 2', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'typo.yaml', 'graph: g\nresources:\n  nop:\n    - name: one\n');

    const result = await runCli(['validate', graph]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/typo\.yaml:[34]:\d+: /);
  });

  it('tells the misplaced and mistyped parts of a graph at their place, saying what to write (QA)', async () => {
    const dir = await makeTempDir();
    const validate = async (name: string, lines: readonly string[]): Promise<string> => {
      const result = await runCli(['validate', await writeGraph(dir, name, [...lines, ''].join('\n'))]);
      expect(result.code, result.stderr).toBe(2);
      return result.stderr;
    };
    // A top-level key indented under resources: was a kind with no name, or one to install a plugin for.
    const edges = await validate('edges.yaml', ['graph: s', 'resources:', '  noop:', '    - name: a', '  edges:', '    - {name: e, from: {kind: noop, name: a}, to: {kind: noop, name: a}}']);
    expect(edges).toContain("edges.yaml:5:3: 'edges' is a top-level key, indented under resources:\n  hint: move edges: to column 1, as resources: is, and the lines under it 2 columns left with it\n");
    expect(edges).not.toMatch(/plugin|has no name/);
    // An unknown kind whose entry has no name: both are told, the kind at its key.
    const unknown = await validate('unknown.yaml', ['graph: s', 'resources:', '  noop:', '    - name: a', '  zzz: [{from: 1}]']);
    expect(unknown).toContain("unknown.yaml:5:3: no installed plugin provides kind 'zzz'");
    expect(unknown).toContain("unknown.yaml:5:9: a resource of kind 'zzz' has no name");
    // A word mgmt's reader does not take as a boolean: refused, as "true" is (QA: yEs was read as true, with a warning).
    const word = await validate('word.yaml', ['graph: s', 'resources:', '  password:', '    - name: p6', '      saved: yEs']);
    expect(word).toContain(`word.yaml:5:14: password[p6]: param 'saved': expected true or false, got "yEs"\n  hint: write true or false there\n`);
    // A Makefile's tab in content: |, told once.
    const makefile = await validate('mk.yaml', ['graph: mk', 'resources:', '  file:', '    - name: /tmp/x/Makefile', '      state: exists', '      content: |', '        all:', '\techo hi']);
    expect(makefile).toContain("mk.yaml:8:1: this line starts with a tab, which YAML does not allow as indentation of a block scalar ('content: |' on line 6)\n");
    expect(makefile).toContain('converge: 1 problem in');
  });

  it("loads a graph copied from mgmt's examples (exec with pollint: 0 and state: present), warning at each line", async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'mgmt.yaml',
      [
        '---',
        'graph: mygraph',
        'resources:',
        '  exec:',
        '  - name: exec1',
        '    cmd: echo hello',
        "    shell: ''",
        '    timeout: 0',
        "    watchcmd: ''",
        "    watchshell: ''",
        "    ifcmd: ''",
        "    ifshell: ''",
        '    pollint: 0',
        '    state: present',
        'edges: []',
        '',
      ].join('\n'),
    );

    const result = await runCli(['validate', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('ok: 1 resource, 0 edges');
    expect(result.stderr).toContain("mgmt.yaml:13:14: warning: exec[exec1]: ignored 'pollint: 0'");
    expect(result.stderr).toContain("mgmt.yaml:14:12: warning: exec[exec1]: ignored 'state: present'");
  });

  it('tells warnings in file order, whichever check found them', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'order.yaml',
      ['graph: g', 'resources:', '  exec:', '  - name: e', '    cmd: /bin/true', '    refreshonly: yes', '    pollint: 5', ''].join('\n'),
    );
    const result = await runCli(['validate', graph]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line.includes(': warning: '));
    expect(lines.map((line) => /order\.yaml:(\d+):/.exec(line)?.[1])).toEqual(['6', '7']);
  });

  it('tells a warning repeated on many resources at its first two places, then where else in one line', async () => {
    const dir = await makeTempDir();
    const execs = Array.from({ length: 5 }, (_, index) => [`  - name: e${index}`, '    cmd: "true"', '    pollint: 0']).flat();
    const graph = await writeGraph(dir, 'old.yaml', ['graph: g', 'resources:', '  exec:', ...execs, ''].join('\n'));

    const result = await runCli(['validate', graph]);

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line.includes("ignored 'pollint: 0'"));
    expect(lines).toEqual([
      expect.stringMatching(/old\.yaml:6:\d+: warning: exec\[e0\]: ignored 'pollint: 0'/),
      expect.stringMatching(/old\.yaml:9:\d+: warning: exec\[e1\]: ignored 'pollint: 0'/),
      expect.stringContaining(`converge: warning: the same at 3 more places in ${graph} (lines 12, 15, 18): ignored 'pollint: 0'`),
    ]);
  });
});

describe('a graph from standard input or a pipe', () => {
  const fileGraph = (path: string): string => `graph: g\nresources:\n  file:\n  - name: ${path}\n    state: exists\n    content: "hi\\n"\n`;

  it("is read from standard input for '-', with problems at -:LINE, by validate, graph and run", async () => {
    const dir = await makeTempDir();
    const made = join(dir, 'made');
    const text = fileGraph(made);

    const validated = await runCli(['validate', '-'], { stdin: text });
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout.trim()).toBe('ok: 1 resource, 0 edges');
    const drawn = await runCli(['graph', '-'], { stdin: text });
    expect(drawn.stdout).toContain(`"file[${made}]"`);
    const bad = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', '-'], { stdin: `${text}    bogus: 1\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("-:7:5: file[");
    await expect(readFile(made)).rejects.toThrow();
    // A watching run: nothing to watch for saves, the resources still are.
    const cli = startCli(['run', '--tmp-prefix', '-'], { stdin: text });
    await cli.waitFor(/changed: file/);
    expect(await readFile(made, 'utf8')).toBe('hi\n');
    cli.child.kill('SIGINT');
    const stopped = await cli.result;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).not.toMatch(/error|cannot/i);
  });

  it('is read from a pipe given by path, as a shell passes <(gen)', async () => {
    const dir = await makeTempDir();
    const source = await writeGraph(dir, 'g.yaml', fileGraph(join(dir, 'made')));
    const { stdout } = await promisify(execFile)('bash', ['-c', `"${process.execPath}" "${BIN}" validate <(cat "${source}")`]);
    expect(stdout.trim()).toBe('ok: 1 resource, 0 edges');
  });

  it('is refused when it is neither a file nor a pipe, or standard input is empty, saying what to give', async () => {
    const result = await runCli(['validate', '/dev/null']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/dev/null is neither a regular file nor a pipe');
    // QA: told "the graph file is empty", which sent the user looking for a file.
    const empty = await runCli(['validate', '-'], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("'-' reads the graph from standard input, which was empty");
  });
});
