import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// QA: a reversal (meta: {reverse: true}) undid what the next graph's
// resources manage on the same paths: a recursive copy's reversal deleted a
// file the next graph manages in the copied folder (which then failed), and
// a resource renamed (the same path under another name) had its file written
// back and then written again, refreshing what it notifies.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('meta: {reverse: true} of a recursive copy, with a file the next graph manages inside it', () => {
  async function copied(): Promise<{ dir: string; site: string; flags: string[]; withoutCopy: string }> {
    const dir = await makeTempDir();
    const [src, site] = [join(dir, 'src'), join(dir, 'site')];
    await mkdir(src);
    await writeFile(join(src, 'one'), 'one\n');
    await writeFile(join(src, 'two'), 'two\n');
    const local = `  - {name: ${site}/local.conf, state: exists, content: "local\\n"}\n`;
    const withCopy = await writeGraph(dir, 'a.yaml', `graph: a\nresources:\n  file:\n  - {name: ${site}/, state: exists, recurse: true, source: ${src}/, meta: {reverse: true}}\n${local}`);
    const withoutCopy = await writeGraph(dir, 'b.yaml', `graph: a\nresources:\n  file:\n${local}`);
    const flags = onceWithState(join(dir, 'state'));
    const first = await runCli(['run', ...flags, withCopy]);
    expect(first.code, first.stderr).toBe(0);
    expect((await readdir(site)).sort()).toEqual(['local.conf', 'one', 'two']);
    return { dir, site, flags, withoutCopy };
  }

  it('keeps that file and its folder in the next run, removing the rest of the copy; a dry run first says the same', async () => {
    const { site, flags, withoutCopy } = await copied();
    const dryRun = await runCli(['run', ...flags, '--noop', withoutCopy]);
    expect(dryRun.code, dryRun.stdout + dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`would put back: file[${site}/]\n`);
    expect(dryRun.stdout).not.toContain('failed:');

    const real = await runCli(['run', ...flags, withoutCopy]);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(real.stdout).toContain(`reversed: file[${site}/]\n`);
    expect(real.stdout).toContain(`converged: file[${site}/local.conf]\n`);
    expect(real.stdout).not.toContain('failed:');
    expect(await readdir(site)).toEqual(['local.conf']);
    expect(await readFile(join(site, 'local.conf'), 'utf8')).toBe('local\n');
  });

  it('keeps them in a hot reload too', async () => {
    const { dir, site, withoutCopy } = await copied();
    const graph = await writeGraph(dir, 'graph.yaml', await readFile(join(dir, 'a.yaml'), 'utf8'));
    const cli = startCli(['run', '--prefix', join(dir, 'state'), '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    await writeFile(graph, await readFile(withoutCopy, 'utf8'));
    await cli.waitFor(new RegExp(`reversed: file\\[${site}/\\]`));
    await cli.waitFor(/reloaded .*graph\.yaml: 1 resource/);
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    expect(cli.stdout).not.toContain('failed:');
    expect(await readdir(site)).toEqual(['local.conf']);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });
});

describe('meta: {reverse: true} of a resource renamed (the same path under another name)', () => {
  /** The file as `file:` list item `entry` (which names it `name`), notifying a refreshonly command that counts its runs in `runs`. */
  const notifying = (entry: string, name: string, runs: string): string =>
    `graph: motd\nresources:\n  file:\n  - ${entry}\n  exec:\n  - {name: reload, cmd: "echo run >> ${runs}", shell: /bin/sh, refreshonly: true}\n` +
    `edges:\n- {from: {kind: file, name: ${name}}, to: {kind: exec, name: reload}, notify: true}\n`;

  async function renamed(): Promise<{ dir: string; motd: string; runs: string; before: string; after: string; left: string }> {
    const dir = await makeTempDir();
    const [motd, runs] = [join(dir, 'motd'), join(dir, 'runs')];
    await writeFile(motd, 'original\n');
    const before = notifying(`{name: motd, path: ${motd}, state: exists, content: "managed\\n", meta: {reverse: true}}`, 'motd', runs);
    const after = notifying(`{name: ${motd}, state: exists, content: "managed\\n", meta: {reverse: true}}`, motd, runs);
    const left = 'graph: motd\nresources:\n  noop:\n  - name: left\n';
    return { dir, motd, runs, before, after, left };
  }

  it('leaves the file alone and refreshes nothing in a hot reload; the new name puts it back when it leaves', async () => {
    const { dir, motd, runs, before, after, left } = await renamed();
    const graph = await writeGraph(dir, 'graph.yaml', before);
    const cli = startCli(['run', '--prefix', join(dir, 'state'), '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    expect(await readFile(runs, 'utf8')).toBe('run\n');
    await writeFile(graph, after);
    await cli.waitFor(/reloaded .*graph\.yaml: 2 resources/);
    await cli.waitFor(new RegExp(`converged: file\\[${motd}\\]`));
    await cli.waitFor(/converge: converged: every resource is as the graph says/);
    expect(cli.stdout).not.toContain('reversed:');
    expect(cli.stdout).not.toContain(`changed: file[${motd}]`);
    expect(await readFile(runs, 'utf8')).toBe('run\n');
    await writeFile(graph, left);
    await cli.waitFor(new RegExp(`reversed: file\\[${motd}\\]`));
    expect(await readFile(motd, 'utf8')).toBe('original\n');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('leaves the file alone in the next run, and a dry run before it says nothing would be put back', async () => {
    const { dir, motd, runs, before, after, left } = await renamed();
    const flags = onceWithState(join(dir, 'state'));
    expect((await runCli(['run', ...flags, await writeGraph(dir, 'before.yaml', before)])).code).toBe(0);
    const next = await writeGraph(dir, 'after.yaml', after);
    const dryRun = await runCli(['run', ...flags, '--noop', next]);
    expect(dryRun.code, dryRun.stdout + dryRun.stderr).toBe(0);
    expect(dryRun.stdout).not.toContain('would put back');
    expect(dryRun.stdout).toContain(`converged: file[${motd}]\n`);

    const real = await runCli(['run', ...flags, next]);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(real.stdout).not.toContain('reversed:');
    expect(real.stdout).toContain(`converged: file[${motd}]\n`);
    expect(await readFile(runs, 'utf8')).toBe('run\n');

    const last = await runCli(['run', ...flags, await writeGraph(dir, 'left.yaml', left)]);
    expect(last.stdout).toContain(`reversed: file[${motd}]\n`);
    expect(await readFile(motd, 'utf8')).toBe('original\n');
    expect(existsSync(runs)).toBe(true);
  });
});
