import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// QA: a reversal (meta: {reverse: true}) undid what the next graph's
// resources manage on the same paths: a recursive copy's reversal deleted a
// file the next graph manages in the copied folder (which then failed).

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
