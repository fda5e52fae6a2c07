import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(removeTempDirs);

describe('what reaches the terminal', () => {
  it("escapes a resource name's newline and a command's escape sequences, and indents the lines of its stderr", async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      [
        'graph: g',
        'resources:',
        '  exec:',
        '  - name: "evil\\nconverged: fake-name\\u001b[31m"',
        '    cmd: "printf \'line1\\\\nconverged: fake-stderr\\\\033[31mred\' >&2; exit 3"',
        '    shell: /bin/sh',
        '',
      ].join('\n'),
    );
    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code).toBe(1);
    const output = `${result.stdout}\n${result.stderr}`;
    // No raw escape character, and no line that passes for converge's own.
    expect(output).not.toContain('\u001b');
    expect(output).not.toMatch(/^converged: fake/m);
    expect(output).toContain('exec[evil\\nconverged: fake-name\\u001b[31m]');
    expect(result.stdout).toMatch(/last lines of stderr:\n {4}line1\n {4}converged: fake-stderr\\u001b\[31mred/);
  });

  it('escapes C1 controls and bidirectional overrides, and what a dry run quotes of a file', async () => {
    const dir = await makeTempDir();
    const drifted = join(dir, 'drifted');
    // What anyone who can write the file chose: a screen clear, a window title, a fake line.
    await writeFile(drifted, 'ok\n\u001b[2J\u001b]0;pwned\u0007converged: file[fake]\n');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      ['graph: g', 'resources:', '  file:', `  - name: ${drifted}`, '    content: "clean\\n"', '  noop:', '  - name: "csi\u009b2J rlo\u202eevil"', ''].join('\n'),
    );
    const result = await runCli(['run', '--noop', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    expect(result.stdout).toContain('-\\u001b[2J\\u001b]0;pwned\\u0007converged: file[fake]');
    expect(result.stdout).toContain('noop[csi\\u009b2J rlo\\u202eevil]');
  });

  it('shows what a terminal shows as nothing (a BOM in the middle of a graph) as an escape (QA: unknown key \'resources\', the key looking right)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\n\ufeffresources:\n  noop:\n  - name: "zero\u200bwidth"\n');
    const result = await runCli(['validate', graph]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown key '\\ufeffresources'");
    expect(result.stderr).not.toMatch(/[\ufeff\u200b]/);
  });

  it("tells a name with a real newline from one with a typed backslash-n, in status lines and log lines (QA: both printed as new\\nline)", async () => {
    const dir = await makeTempDir();
    const real = join(dir, 'a\nb');
    const typed = join(dir, 'a\\nb');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      [
        'graph: g',
        'resources:',
        '  noop:',
        '  - name: "new\\nline"',
        "  - name: 'new\\nline'",
        "  - name: 'C:\\temp'",
        '  file:',
        `  - name: ${JSON.stringify(real)}`,
        '    state: exists',
        `  - name: ${JSON.stringify(typed)}`,
        '    state: exists',
        '',
      ].join('\n'),
    );
    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    const stdout = result.stdout.split('\n');
    expect(stdout).toContain('converged: noop[new\\nline]');
    expect(stdout).toContain('converged: noop[new\\\\nline]');
    // A backslash that reads as no escape is shown as typed, as before.
    expect(stdout).toContain('converged: noop[C:\\temp]');
    const realFile = `file[${dir}/a\\nb]`;
    const typedFile = `file[${dir}/a\\\\nb]`;
    expect(stdout).toContain(`changed: ${realFile}`);
    expect(stdout).toContain(`changed: ${typedFile}`);
    const logged = result.stderr.split('\n').filter((line) => line.includes(': changed'));
    expect(logged.filter((line) => line.endsWith(`INFO: ${realFile}: changed`))).toHaveLength(1);
    expect(logged.filter((line) => line.endsWith(`INFO: ${typedFile}: changed`))).toHaveLength(1);
  });

  it('tells the two apart in a problem about each', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', ['graph: g', 'resources:', '  noop:', '  - name: "new\\nline"', '    colour: red', "  - name: 'new\\nline'", '    colour: red', ''].join('\n'));
    const result = await runCli(['validate', graph]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/:5:\d+: noop\[new\\nline\]: /);
    expect(result.stderr).toMatch(/:7:\d+: noop\[new\\\\nline\]: /);
  });
});
