import { mkdir, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliProcess } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

const running: CliProcess[] = [];
afterEach(async () => {
  // SIGKILL is final: once it is delivered nothing writes into the folders any more.
  await Promise.all(running.splice(0).map((cli) => (cli.kill(), cli.result.catch(() => undefined))));
  await removeTempDirs();
});

function fileGraph(files: Record<string, string>, extra = ''): string {
  const entries = Object.entries(files)
    .map(([path, content]) => `  - name: ${path}\n    state: exists\n    content: ${JSON.stringify(content)}${extra}`)
    .join('\n');
  return `graph: reload\nresources:\n  file:\n${entries}\n`;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const contentIs = (path: string, content: string) => async () => (await readFile(path, 'utf8').catch(() => undefined)) === content;

describe('a one-shot run (--converged-exit at timeout 0)', () => {
  it('does not watch its graph file: a save while it runs is not swapped in', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = join(dir, 'graph.yaml');
    const started = join(dir, 'started');
    const later = join(dir, 'later.txt');
    const slow = `graph: once\nresources:\n  exec:\n  - name: slow\n    cmd: touch ${started}; sleep 1.5\n    shell: /bin/sh\n`;
    await writeFile(graph, slow);
    const cli = new CliProcess(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--plugin', plugin, graph]);
    running.push(cli);
    await until(async () => existsSync(started), 'the command to start');
    // Saved while the command runs: a watched file would be reloaded within 150 ms, adding the touch.
    await writeFile(graph, `${slow}  touch:\n  - name: t\n    path: ${later}\n`);
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr + result.stdout).not.toMatch(/reloaded/);
    expect(existsSync(later)).toBe(false);
  });
});

describe('hot reload of a running graph', () => {
  it('prints the diff of a resource a reload adds with meta: {noop: true}, and leaves it alone', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    const held = join(dir, 'held.txt');
    await writeFile(held, 'old\n');
    await writeFile(graph, fileGraph({ [a]: 'one\n' }));
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');

    await writeFile(graph, `${fileGraph({ [a]: 'one\n', [held]: 'new\n' })}    meta: {noop: true}\n`);
    await cli.waitFor(new RegExp(`file\\[${held.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] would change:\n--- `));
    expect(await readFile(held, 'utf8')).toBe('old\n');

    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('swaps in the edited graph when its file is saved, and keeps running on a bad edit', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    await writeFile(graph, fileGraph({ [a]: 'one\n' }));
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');

    // An edit: a.txt changes, b.txt is added.
    await writeFile(graph, fileGraph({ [a]: 'two\n', [b]: 'bee\n' }));
    await until(contentIs(a, 'two\n'), 'a.txt = two');
    await until(contentIs(b, 'bee\n'), 'b.txt = bee');
    await cli.waitFor(/reloaded .*graph\.yaml: 2 resources/);

    // A broken edit is refused with file:line and the running graph stays.
    await writeFile(graph, `${fileGraph({ [a]: 'three\n' })}    conten: typo\n`);
    await cli.waitFor(/graph\.yaml:\d+:\d+: .*conten/);
    await cli.waitFor(/was not reloaded; the running graph is unchanged/);
    // The running graph is still applied: not "nothing was applied", as a first load would say.
    expect(cli.stderr).toMatch(/1 problem in .*graph\.yaml\n/);
    expect(cli.stderr).not.toContain('nothing was applied');
    expect(await readFile(a, 'utf8')).toBe('two\n');
    // ...and still enforced: drift on a.txt is repaired.
    await writeFile(a, 'drifted\n');
    await until(contentIs(a, 'two\n'), 'a.txt repaired');

    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('says what a reload did: the resources added, changed and removed, the first few by name (QA: only the counts; nothing of removals)', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const noops = (names: readonly string[]) => `  noop:\n${names.map((name) => `  - name: ${name}\n`).join('')}`;
    const exec = (cmd: string) => `  exec:\n  - name: motd\n    cmd: ${cmd}\n  - name: tick\n    cmd: /bin/true\n`;
    const removed = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    await writeFile(graph, `graph: reload\nresources:\n${exec('/bin/true')}${noops(['stays', ...removed])}`);
    const cli = new CliProcess(['run', '--tmp-prefix', '--no-watch', graph]);
    running.push(cli);
    await cli.waitFor(/changed: exec\[tick\]/);

    // exec[motd] changes, noop[new] comes, exec[tick] and six noops go.
    await writeFile(graph, `graph: reload\nresources:\n  exec:\n  - name: motd\n    cmd: /bin/echo hi\n${noops(['stays', 'new'])}`);
    cli.child.kill('SIGHUP');
    await cli.waitFor(/reloaded .*graph\.yaml: 3 resources, 0 edges \(/);
    const line = cli.stderr.split('\n').find((text) => text.includes('reloaded ')) ?? '';
    expect(line).toMatch(/\(1 added: noop\[new\]; 1 changed: exec\[motd\]; 7 removed: (\w+\[\w+\], ){4}\w+\[\w+\] and 2 more\)$/);
    expect(line).not.toContain('stays');

    // The same graph again: nothing to list.
    const before = cli.stderr.length;
    cli.child.kill('SIGHUP');
    await until(async () => cli.stderr.slice(before).includes('reloaded '), 'the second reload');
    await cli.waitFor(/reloaded .*graph\.yaml: 3 resources, 0 edges \(no resource changed\)/);
  });

  it('says each time the graph has converged again (with a converger timeout, running on)', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    await writeFile(graph, fileGraph({ [a]: 'one\n' }));
    const cli = new CliProcess(['run', '--tmp-prefix', '--converger-timeout=0', graph]);
    running.push(cli);
    const told = (): number => cli.stderr.split('converged: every resource is as the graph says').length - 1;
    await until(async () => told() === 1, 'the first convergence told');
    // Drift is repaired: converged again, told again, once.
    await writeFile(a, 'drifted\n');
    await until(async () => told() === 2, 'the second convergence told');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(told()).toBe(2);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('when it has converged with a failed and a blocked resource, says so, not that all is as the graph says', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, 'graph: g\nresources:\n  exec:\n  - {name: bad, cmd: /bin/false}\n  - {name: after, cmd: /bin/true}\nedges:\n- {from: {kind: exec, name: bad}, to: {kind: exec, name: after}}\n');
    const cli = new CliProcess(['run', '--tmp-prefix', '--converger-timeout=0', graph]);
    running.push(cli);
    await cli.waitFor(/converged, but not as the graph says: 1 failed, 1 blocked; nothing more runs until something changes/);
    expect(cli.stderr).not.toContain('every resource is as the graph says');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(1);
  });

  it('catches up with a save made while the first graph was still starting', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    const release = join(dir, 'release');
    // The gate's init holds the first graph's start (and so the reload watch) until release exists.
    const withGate = (content: string): string => `${fileGraph({ [a]: content })}\n  gate:\n  - name: g\n    path: ${release}\n`;
    await writeFile(graph, withGate('one\n'));
    const cli = new CliProcess(['run', '--tmp-prefix', '--log-level', 'debug', '--plugin', plugin, graph]);
    running.push(cli);
    await cli.waitFor(/gate waiting/);
    await until(contentIs(a, 'one\n'), 'a.txt = one');
    await writeFile(graph, withGate('two\n'));
    await writeFile(release, '');
    await cli.waitFor(/graph\.yaml changed while the graph started/);
    await until(contentIs(a, 'two\n'), 'a.txt = two');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('with --no-watch ignores edits until SIGHUP', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    await writeFile(graph, fileGraph({ [a]: 'one\n' }));
    const cli = new CliProcess(['run', '--tmp-prefix', '--no-watch', graph]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');
    await writeFile(graph, fileGraph({ [a]: 'two\n' }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await readFile(a, 'utf8')).toBe('one\n');
    cli.child.kill('SIGHUP');
    await until(contentIs(a, 'two\n'), 'a.txt = two after SIGHUP');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('waits while another process has the graph open for writing: a graph written in pauses is read whole', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const first = join(dir, 'first.txt');
    const second = join(dir, 'second.txt');
    const full = fileGraph({ [first]: '1\n', [second]: '2\n' }, '\n    meta: {reverse: true}');
    await writeFile(graph, full);
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(second, '2\n'), 'second.txt written');

    // Another process (this test) writes the graph again, pausing halfway
    // for much longer than a save takes to settle: the first half alone
    // would remove second.txt (and reverse it).
    const edited = full.replace("'2\\n'", "'2 again\\n'").replace('"2\\n"', '"2 again\\n"');
    const cut = edited.indexOf(`  - name: ${second}`);
    const handle = await open(graph, 'w');
    await handle.write(edited.slice(0, cut));
    await handle.sync();
    await cli.waitFor(/waiting for process \d+ to finish writing it/, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await readFile(second, 'utf8')).toBe('2\n');
    expect(cli.stderr + cli.stdout).not.toMatch(/reloaded .*: 1 resource,/);
    await handle.write(edited.slice(cut));
    await handle.close();
    await until(contentIs(second, '2 again\n'), 'second.txt rewritten by the whole graph');
    expect(cli.stderr + cli.stdout).not.toMatch(/reloaded .*: 1 resource,/);
    // One save, one reload (QA: each write's event waited and reloaded on its own).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((cli.stderr + cli.stdout).match(/reloaded .*: 2 resources,/g)).toHaveLength(1);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('says when a reload waits for a resource with meta: {realize: true}, and a stop then ends the wait quietly', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, 'graph: r\nresources:\n  exec:\n  - name: migrate\n    cmd: /bin/false\n    meta: {realize: true, retry: -1, delay: 200}\n  noop:\n  - name: n\n');
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await cli.waitFor(/converged: noop\[n\]/);
    // Saved again until seen: the file's watch starts just after the first graph does.
    const waits = /exec\[migrate\]: the graph swap waits for it to converge once \(meta: \{realize: true\}\)/;
    await until(async () => {
      await writeFile(graph, 'graph: r\nresources:\n  noop:\n  - name: n\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      return waits.test(cli.stderr);
    }, 'the swap waiting for exec[migrate]');
    cli.child.kill('SIGTERM');
    const result = await cli.result;
    expect(result.stderr).not.toContain('the engine is stopping');
    expect(result.stderr).not.toContain('was not reloaded');
    // exec[migrate] was failing when the stop came: it ends failed, wherever the stop landed.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/1 resource failed:/);
  });

  it('reverses a file with meta: {reverse: true} that an edit removes from the graph', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const kept = join(dir, 'kept.txt');
    const created = join(dir, 'created.txt');
    const existing = join(dir, 'existing.txt');
    await writeFile(existing, 'original\n');
    await writeFile(graph, fileGraph({ [kept]: 'k\n', [created]: 'c\n', [existing]: 'managed\n' }, '\n    meta: {reverse: true}'));
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(existing, 'managed\n'), 'existing.txt managed');
    await until(contentIs(created, 'c\n'), 'created.txt');
    await writeFile(graph, fileGraph({ [kept]: 'k\n' }, '\n    meta: {reverse: true}'));
    await until(contentIs(existing, 'original\n'), 'existing.txt put back');
    await until(async () => !existsSync(created), 'created.txt removed');
    expect(await readFile(kept, 'utf8')).toBe('k\n');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('tells on stdout every new failure and change of a resource that edits replace, each once', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    const job = (cmd: string, extra = ''): string =>
      `graph: reload\nresources:\n  exec:\n  - name: job\n    cmd: ${JSON.stringify(cmd)}\n    shell: /bin/sh\n${extra}`;
    const failed = (code: number): string => `failed: exec[job]: cmd /bin/sh -c "exit ${code}" exited with code ${code} (no stderr)`;
    await writeFile(graph, job('exit 3'));
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    const lines = (): string[] => cli.stdout.split('\n').filter((line) => line !== '');
    const told = (count: number) => async () => lines().length >= count;

    await until(told(1), 'the first failure');
    // Another error.
    await writeFile(graph, job('exit 4'));
    await until(told(2), 'the second failure');
    // Fixed: a failure, then a change.
    await writeFile(graph, job('true'));
    await until(told(3), 'the change');
    // Params changed: the new resource changes too (as many changes as the old one had).
    await writeFile(graph, job('true; true'));
    await until(told(4), 'the change of the edited resource');
    // Removed, then added again.
    await writeFile(graph, 'graph: reload\nresources:\n  noop:\n  - name: other\n');
    await until(told(5), 'the other resource');
    await writeFile(graph, job('true; true'));
    await until(told(6), 'the change of the added resource');
    // The same failure as before, after a swap, and after a success.
    await writeFile(graph, job('exit 4'));
    await until(told(7), 'the failure after the swap');
    // The same failure again, from a resource an edit replaced.
    await writeFile(graph, job('exit 4', '    cwd: /\n'));
    await until(told(8), 'the same failure after the swap');

    cli.child.kill('SIGINT');
    await cli.result;
    expect(lines()).toEqual([
      failed(3),
      failed(4),
      'changed: exec[job]',
      'changed: exec[job]',
      'converged: noop[other]',
      'changed: exec[job]',
      failed(4),
      failed(4),
    ]);
  });
});

describe('hot reload of a graph whose folder is swapped for another', () => {
  it('loads the graph of the new folder, follows its edits, also after SIGHUP, and ignores the moved-away copy', async () => {
    const dir = await makeTempDir();
    const a = join(dir, 'a.txt');
    const graph = join(dir, 'conf', 'graph.yaml');
    await mkdir(join(dir, 'conf'));
    await writeFile(graph, fileGraph({ [a]: 'one\n' }));
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');

    // A deploy: `mkdir conf.new && cp ... && mv conf conf.old && mv conf.new conf`.
    await mkdir(join(dir, 'conf.new'));
    await writeFile(join(dir, 'conf.new', 'graph.yaml'), fileGraph({ [a]: 'two\n' }));
    await rename(join(dir, 'conf'), join(dir, 'conf.old'));
    await rename(join(dir, 'conf.new'), join(dir, 'conf'));
    await until(contentIs(a, 'two\n'), 'a.txt = two (conf swapped)');
    await cli.waitFor(/reloaded .*graph\.yaml/);

    await writeFile(graph, fileGraph({ [a]: 'three\n' }));
    await until(contentIs(a, 'three\n'), 'a.txt = three (the new conf/graph.yaml edited)');

    cli.child.kill('SIGHUP');
    await cli.waitFor(/SIGHUP: reloading/);
    const beforeFour = cli.stderr.length;
    await writeFile(graph, fileGraph({ [a]: 'four\n' }));
    await until(contentIs(a, 'four\n'), 'a.txt = four (edited after SIGHUP)');

    // The moved-away copy is not watched: an edit of it alone reloads nothing.
    // The edit of four may be read twice (by SIGHUP's reload and by the
    // file's event, each after a look for writers in /proc, slow on a
    // loaded machine): wait for a reload told after it, then for quiet.
    await until(async () => cli.stderr.slice(beforeFour).includes('reloaded '), 'a reload after four');
    for (let said = ''; said !== cli.stderr; ) {
      said = cli.stderr;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const reloads = cli.stderr.split('reloaded ').length;
    await writeFile(join(dir, 'conf.old', 'graph.yaml'), fileGraph({ [a]: 'stale\n' }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(cli.stderr.split('reloaded ').length).toBe(reloads);
    expect(await readFile(a, 'utf8')).toBe('four\n');

    cli.child.kill('SIGINT');
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/stopped watching|cannot watch/);
  });
});

describe('hot reload of a graph file that is a symlink', () => {
  it('follows edits of the file the link points to, saved in place or by rename, also after SIGHUP', async () => {
    const dir = await makeTempDir();
    const real = join(dir, 'real.yaml');
    const graph = join(dir, 'graph.yaml');
    const a = join(dir, 'a.txt');
    await writeFile(real, fileGraph({ [a]: 'one\n' }));
    await symlink('real.yaml', graph);
    const cli = new CliProcess(['run', '--tmp-prefix', graph]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');

    await writeFile(real, fileGraph({ [a]: 'two\n' }));
    await until(contentIs(a, 'two\n'), 'a.txt = two (edited in place)');

    // As `sed -i` and most editors save: a new file renamed over the old one.
    await writeFile(join(dir, '.real.yaml.swp'), fileGraph({ [a]: 'three\n' }));
    await rename(join(dir, '.real.yaml.swp'), real);
    await until(contentIs(a, 'three\n'), 'a.txt = three (saved by rename)');

    cli.child.kill('SIGHUP');
    await cli.waitFor(/SIGHUP: reloading/);
    await writeFile(real, fileGraph({ [a]: 'four\n' }));
    await until(contentIs(a, 'four\n'), 'a.txt = four (edited after SIGHUP)');

    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('follows a link retargeted as a Kubernetes ConfigMap is updated (a folder symlink swapped by rename)', async () => {
    const dir = await makeTempDir();
    const a = join(dir, 'a.txt');
    await mkdir(join(dir, 'v1'));
    await mkdir(join(dir, 'v2'));
    await writeFile(join(dir, 'v1', 'graph.yaml'), fileGraph({ [a]: 'one\n' }));
    await writeFile(join(dir, 'v2', 'graph.yaml'), fileGraph({ [a]: 'two\n' }));
    // graph.yaml -> data/graph.yaml, data -> v1: the layout of a mounted ConfigMap.
    await symlink('v1', join(dir, 'data'));
    await symlink('data/graph.yaml', join(dir, 'graph.yaml'));
    const cli = new CliProcess(['run', '--tmp-prefix', join(dir, 'graph.yaml')]);
    running.push(cli);
    await until(contentIs(a, 'one\n'), 'a.txt = one');

    // `ln -s v2 data.new && mv -T data.new data`, then the old version goes away.
    await symlink('v2', join(dir, 'data.new'));
    await rename(join(dir, 'data.new'), join(dir, 'data'));
    await rm(join(dir, 'v1'), { recursive: true });
    await until(contentIs(a, 'two\n'), 'a.txt = two (link swapped to v2)');

    // The new target is watched, the old one is not needed any more.
    await writeFile(join(dir, 'v2', 'graph.yaml'), fileGraph({ [a]: 'three\n' }));
    await until(contentIs(a, 'three\n'), 'a.txt = three (v2 edited)');

    cli.child.kill('SIGINT');
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/stopped watching|cannot watch/);
  });
});
