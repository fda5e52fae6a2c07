import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('meta: {reverse: true} in a hot reload', () => {
  it('a reversal that fails makes the graph converged but not as it says, in the line and the metrics (QA: told every resource was as the graph says)', async () => {
    const dir = await makeTempDir();
    const folder = join(dir, 'rvd');
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  file:\n  - name: ${folder}/\n    state: exists\n    meta: {reverse: true}\n  noop:\n  - name: stays\n`);
    const cli = startCli(['run', '--prefix', join(dir, 'state'), '--converger-timeout=0', '--prometheus', '127.0.0.1:0', graph]);
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    const port = /metrics at http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr)?.[1];
    // Not empty: removing the folder it made is refused.
    await writeFile(join(folder, 'extra'), 'x');
    await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  noop:\n  - name: stays\n');
    await cli.waitFor(/converge: converged, but not as the graph says: 1 failed/);
    // On stdout, which may come in after the converged line on stderr.
    await expect.poll(() => cli.stdout).toContain(`failed: file[${folder}/]: reversal failed (kept for another try)`);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain(`converge_resource_state{resource="file[${folder}/]",kind="file",state="failed"} 1`);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(1);
  });
});

describe('a reversal that failed, and what to do about it', () => {
  it('says what to do (empty the folder), and that a reload tries again: after SIGHUP it is put back (QA: no hint)', async () => {
    const dir = await makeTempDir();
    const folder = join(dir, 'newdir');
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  file:\n  - name: ${folder}/\n    state: exists\n    meta: {reverse: true}\n  noop:\n  - name: stays\n`);
    const cli = startCli(['run', '--prefix', join(dir, 'state'), '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    await writeFile(join(folder, 'someone-elses'), 'x');
    await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  noop:\n  - name: stays\n');
    await cli.waitFor(/reversal failed \(kept for another try\): directory .* is not empty/);

    const failed = cli.stderr.split('\n').find((line) => line.includes('reversal failed')) ?? '';
    expect(failed).toContain('converge made this folder and removes it only when empty: move or delete what is in it, or remove the folder yourself');
    expect(failed).toContain('then reload the graph (SIGHUP, or save the graph file) or start converge again');
    // Not the hint for a graph's own resource, whose params the user writes.
    expect(failed).not.toContain('recurse');

    // What the hint says is what happens.
    await rm(join(folder, 'someone-elses'));
    cli.child.kill('SIGHUP');
    await expect.poll(() => cli.stdout).toContain(`reversed: file[${folder}/]\n`);
    expect(existsSync(folder)).toBe(false);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });
});

describe('meta: {reverse: true} across runs', () => {
  it('reverses on the next run even when that graph no longer uses the kind (the plugin is loaded for it)', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const existing = join(dir, 'existing');
    const created = join(dir, 'created');
    await writeFile(existing, 'before\n');
    const withFiles = await writeGraph(
      dir,
      'files.yaml',
      `graph: files\nresources:\n  file:\n  - name: ${existing}\n    content: "managed\\n"\n    meta: {reverse: true}\n  - name: ${created}\n    state: exists\n    content: "new\\n"\n    meta: {reverse: true}\n`,
    );
    const first = await runCli(['run', ...onceWithState(state), withFiles]);
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(existing, 'utf8')).toBe('managed\n');

    // The next graph has no file at all: only noops.
    const noopsOnly = await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: just-this\n');
    const second = await runCli(['run', ...onceWithState(state), noopsOnly]);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(existing, 'utf8')).toBe('before\n');
    expect(existsSync(created)).toBe(false);
    expect(second.stderr).not.toContain('kept the reversal for later');
    // Told on stdout, with the status lines.
    expect(second.stdout).toContain(`reversed: file[${existing}]\n`);
    expect(second.stdout).toContain(`reversed: file[${created}]\n`);
  });

  it('warns, with --tmp-prefix, that what to put back goes with the state directory at exit (and not with --prefix)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'rev.yaml',
      `graph: g\nresources:\n  file:\n  - name: ${join(dir, 'a')}\n    state: exists\n    meta: {reverse: true}\n  - name: ${join(dir, 'b')}\n    state: exists\n    meta: {reverse: true}\n`,
    );
    const temporary = await runCli(['run', ...ONCE, graph]);
    expect(temporary.code, temporary.stderr).toBe(0);
    expect(temporary.stderr).toContain(`warning: file[${join(dir, 'a')}] and 1 more have meta: {reverse: true}, but --tmp-prefix removes the state directory at exit`);
    const kept = await runCli(['run', ...onceWithState(join(dir, 'state')), graph]);
    expect(kept.stderr).not.toContain('--tmp-prefix removes');
  });

  it('keeps nothing to reverse from a first apply that failed before changing anything', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const path = join(dir, 'p');
    const failing = await writeGraph(
      dir,
      'failing.yaml',
      `graph: failing\nresources:\n  file:\n  - name: ${path}\n    state: exists\n    content: "managed\\n"\n    owner: no-such-user-here\n    meta: {reverse: true}\n`,
    );
    const first = await runCli(['run', ...onceWithState(state), failing]);
    expect(first.code).toBe(1);
    expect(existsSync(path)).toBe(false);

    // The user puts their own file there; the resource then leaves the graph.
    await writeFile(path, 'mine\n');
    const noopsOnly = await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: just-this\n');
    const second = await runCli(['run', ...onceWithState(state), noopsOnly]);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('mine\n');
  });

  it('puts the old path back when a resource keeps its name but manages another path, and records the new one', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await writeFile(a, 'original a\n');
    await writeFile(b, 'original b\n');
    const at = (path: string) =>
      `graph: moving\nresources:\n  file:\n  - name: cfg\n    path: ${path}\n    state: exists\n    content: "managed\\n"\n    meta: {reverse: true}\n`;
    const run = async (graph: string) => {
      const result = await runCli(['run', ...onceWithState(state), graph]);
      expect(result.code, result.stderr).toBe(0);
    };
    await run(await writeGraph(dir, 'at-a.yaml', at(a)));
    expect(await readFile(a, 'utf8')).toBe('managed\n');
    await run(await writeGraph(dir, 'at-b.yaml', at(b)));
    expect(await readFile(a, 'utf8')).toBe('original a\n');
    expect(await readFile(b, 'utf8')).toBe('managed\n');
    await run(await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: just-this\n'));
    expect(await readFile(b, 'utf8')).toBe('original b\n');
  });

  it('also puts back what a resource manages only since a later run (a mode added to its params)', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const path = join(dir, 'conf');
    await writeFile(path, 'original\n');
    await chmod(path, 0o644);
    const graph = (extra: string) =>
      `graph: growing\nresources:\n  file:\n  - name: ${path}\n    content: "managed\\n"\n${extra}    meta: {reverse: true}\n`;
    const run = async (text: string, name: string) => {
      const result = await runCli(['run', ...onceWithState(state), await writeGraph(dir, name, text)]);
      expect(result.code, result.stderr).toBe(0);
    };
    await run(graph(''), 'content.yaml');
    await run(graph('    mode: "0600"\n'), 'content-mode.yaml');
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    await run('graph: other\nresources:\n  noop:\n  - name: just-this\n', 'noops.yaml');
    expect(await readFile(path, 'utf8')).toBe('original\n');
    expect((await stat(path)).mode & 0o7777).toBe(0o644);
  });

  it('reports a reversal that fails as a failed resource: a status line, the summary and the exit code', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const path = join(dir, 'f');
    const flags = onceWithState(state);
    const managed = await writeGraph(dir, 'managed.yaml', `graph: g\nresources:\n  file:\n  - name: ${path}\n    state: exists\n    content: "x\\n"\n    meta: {reverse: true}\n`);
    expect((await runCli(['run', ...flags, managed])).code).toBe(0);
    // Someone puts a directory with contents where the file was: removing it is refused.
    await rm(path);
    await mkdir(join(path, 'sub'), { recursive: true });
    const noopsOnly = await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: x\n');
    const result = await runCli(['run', ...flags, noopsOnly]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^failed: file\\[${path}\\]: reversal failed \\(kept for another try\\)`, 'm'));
    expect(result.stderr).toContain('0 pending · 0 running · 1 converged · 1 failed');
  });

  /** A run that makes a folder and a file (`fileAt(folder)`), both reversible; then a graph without them. */
  async function madeThenLeft(fileAt: (folder: string) => string, inDir?: string, moreFiles = '') {
    const dir = inDir ?? (await makeTempDir());
    const folder = join(dir, 'made');
    const flags = onceWithState(join(dir, 'state'));
    const reversible = (name: string, extra = '') => `  - name: ${name}\n    state: exists\n${extra}    meta: {reverse: true}\n`;
    const managed = await writeGraph(dir, 'managed.yaml', `graph: g\nresources:\n  file:\n${reversible(`${folder}/`)}${reversible(fileAt(folder), '    content: "x\\n"\n')}${moreFiles}`);
    expect((await runCli(['run', ...flags, managed])).code).toBe(0);
    const noopsOnly = await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: x\n');
    return { folder, flags, noopsOnly };
  }

  it('a dry run tells a folder it made as would put back when what is inside it would be put back first (not failed: it is not empty only until then)', async () => {
    const { folder, flags, noopsOnly } = await madeThenLeft((made) => `${made}/inner`);
    const dryRun = await runCli(['run', ...flags, '--noop', noopsOnly]);
    expect(dryRun.code, dryRun.stdout + dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`would put back: file[${folder}/inner]\n`);
    expect(dryRun.stdout).toContain(`would put back: file[${folder}/]\n`);
    expect(existsSync(join(folder, 'inner'))).toBe(true);
    // What the dry run promised is what the real run does.
    const real = await runCli(['run', ...flags, noopsOnly]);
    expect(real.code, real.stderr).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });

  it('a dry run fails a folder that would still hold something no reversal removes, beside what would be put back (QA: said would put back, the real run failed)', async () => {
    const { folder, flags, noopsOnly } = await madeThenLeft((made) => `${made}/inner`);
    await writeFile(join(folder, 'someone-elses'), 'x');
    const dryRun = await runCli(['run', ...flags, '--noop', noopsOnly]);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stdout).toContain(`would put back: file[${folder}/inner]\n`);
    expect(dryRun.stdout).toMatch(new RegExp(`^failed: file\\[${folder}/\\]: reversal would fail: directory .* is not empty`, 'm'));
  });

  it('a dry run tells what each put back would do, as a dry run of the graph does: a diff, a mode, a removal (QA: only `would put back: ID`)', async () => {
    const dir = await makeTempDir();
    const flags = onceWithState(join(dir, 'state'));
    const existing = join(dir, 'existing');
    await writeFile(existing, 'port = 80\n');
    await chmod(existing, 0o644);
    const { folder, noopsOnly } = await madeThenLeft((made) => `${made}/inner`, dir, `  - name: ${existing}\n    content: "port = 8080\\n"\n    mode: "0664"\n    meta: {reverse: true}\n`);

    const dryRun = await runCli(['run', ...flags, '--noop', noopsOnly]);

    expect(dryRun.code, dryRun.stdout + dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(
      `file[${existing}] would put back:\n--- ${existing}\tcurrent\n+++ ${existing}\twanted\n@@ -1,1 +1,1 @@\n-port = 8080\n+port = 80\nmode 0664 -> 0644\nwould put back: file[${existing}]\n`,
    );
    expect(dryRun.stdout).toContain(`file[${folder}/inner] would put back:\nremove file ${folder}/inner\nwould put back: file[${folder}/inner]\n`);
    // The folder is checked before what is inside it is put back: what it would do all the same.
    expect(dryRun.stdout).toContain(`file[${folder}/] would put back:\nremove directory ${folder}\nwould put back: file[${folder}/]\n`);
    expect(await readFile(existing, 'utf8')).toBe('port = 8080\n');
    expect(existsSync(join(folder, 'inner'))).toBe(true);
  });

  it('a dry run still fails a folder whose reversal fails for something no reversal of this run removes', async () => {
    const { folder, flags, noopsOnly } = await madeThenLeft((made) => `${made}-sibling`);
    await writeFile(join(folder, 'someone-elses'), 'x');
    const dryRun = await runCli(['run', ...flags, '--noop', noopsOnly]);
    expect(dryRun.code).toBe(1);
    // A sibling whose path starts with the folder's is not inside it.
    expect(dryRun.stdout).toContain(`would put back: file[${folder}-sibling]\n`);
    expect(dryRun.stdout).toMatch(new RegExp(`^failed: file\\[${folder}/\\]: reversal would fail: directory .* is not empty`, 'm'));
  });
});
