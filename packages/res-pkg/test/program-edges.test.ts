import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkgResource } from '../src/index.js';
import { aptGet, packageKitAvailable } from './helpers.js';

// Packages of their own, so that this file can run beside the others:
// screen leaves config files behind when removed (dpkg's state `rc`);
// figlet's /usr/bin/figlet is an alternatives link, in no package's file list.
const WITH_CONFFILES = 'screen';
const ALTERNATIVE = 'figlet';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/dist/bin.js');

const run = promisify(execFile);
const available = await packageKitAvailable();

/** dpkg's two-letter state (`ii`, `rc`), or undefined when dpkg does not know the package. */
async function dpkgAbbrev(name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', name]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

async function purge(...names: string[]): Promise<void> {
  const known: string[] = [];
  for (const name of names) if (await dpkgAbbrev(name)) known.push(name);
  if (known.length > 0) await aptGet('purge', ...known);
}

const programs = (name: string) => pkgResource.edgeable!.uids({ package: name }, name).map((uid) => uid.key);

/** The edges `converge graph` finds for a pkg and an exec of one of its programs. */
async function graphEdges(dir: string, name: string, program: string): Promise<string[]> {
  const file = join(dir, 'graph.yaml');
  await writeFile(file, `graph: edges\nresources:\n  pkg:\n  - name: ${name}\n  exec:\n  - name: v\n    cmd: ${program} -v\n`);
  const { stdout } = await run(process.execPath, [CLI, 'graph', '--format', 'json', file], { cwd: REPO_ROOT });
  return (JSON.parse(stdout) as { edges: { from: string; to: string }[] }).edges.map((edge) => `${edge.from} -> ${edge.to}`);
}

describe.skipIf(!available)('program autoedges stay through install, removal and purge', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'res-pkg-edges-'));
    await purge(WITH_CONFFILES, ALTERNATIVE);
  }, 120_000);
  afterAll(async () => {
    await purge(WITH_CONFFILES, ALTERNATIVE);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('a package removed but not purged (rc) still claims its program (QA: the exec ran first and failed, ENOENT)', async () => {
    const program = `/usr/bin/${WITH_CONFFILES}`;
    const edge = `pkg[${WITH_CONFFILES}] -> exec[v]`;
    expect(await dpkgAbbrev(WITH_CONFFILES)).toBeUndefined();
    expect(programs(WITH_CONFFILES)).toContain(program);
    expect(await graphEdges(dir, WITH_CONFFILES, program)).toEqual([edge]);

    await aptGet('install', WITH_CONFFILES);
    expect(await dpkgAbbrev(WITH_CONFFILES)).toBe('ii');
    expect(programs(WITH_CONFFILES)).toContain(program);

    await aptGet('remove', WITH_CONFFILES);
    // Its file list now names only the config files left behind.
    expect(await dpkgAbbrev(WITH_CONFFILES)).toBe('rc');
    expect(await readFile(`/var/lib/dpkg/info/${WITH_CONFFILES}.list`, 'utf8')).not.toContain(program);
    expect(programs(WITH_CONFFILES)).toContain(program);
    expect(await graphEdges(dir, WITH_CONFFILES, program)).toEqual([edge]);
    // Nor are those config files taken for what it will own: file edges come once it is installed.
    expect(pkgResource.edgeable!.autoEdges({ package: WITH_CONFFILES }, WITH_CONFFILES).next().done).toBe(true);
  }, 180_000);

  it('a program that is an alternatives link stays claimed once the package is installed (the edge does not vanish)', async () => {
    const program = `/usr/bin/${ALTERNATIVE}`;
    const edge = `pkg[${ALTERNATIVE}] -> exec[v]`;
    expect(await graphEdges(dir, ALTERNATIVE, program)).toEqual([edge]);
    await aptGet('install', ALTERNATIVE);
    expect(await readFile(`/var/lib/dpkg/info/${ALTERNATIVE}.list`, 'utf8')).not.toMatch(new RegExp(`^${program}$`, 'm'));
    expect(programs(ALTERNATIVE)).toContain(program);
    expect(await graphEdges(dir, ALTERNATIVE, program)).toEqual([edge]);
  }, 180_000);
});
