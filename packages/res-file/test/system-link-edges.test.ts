import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planGraph } from '@converge/engine';
import type { AutoEdgeCandidate } from '@converge/engine-api';
import { execResource } from '@converge/res-exec';
import { SystemLinks } from '@converge/system-paths';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FileParams } from '../src/index.js';
import { fileResource } from '../src/index.js';
import { fileAutoEdges, fileUids } from '../src/edges.js';
import { tempDir } from './helpers.js';

/** The file keys a search asks for, batch by batch, answered by `managed`; and those that matched. */
function search(params: FileParams, links: SystemLinks, managed: ReadonlySet<string>): { asked: string[][]; matched: string[] } {
  const asked: string[][] = [];
  const matched: string[] = [];
  const edges = fileAutoEdges(params, links);
  let step = edges.next([]);
  while (!step.done) {
    const batch: readonly AutoEdgeCandidate[] = step.value;
    const files = batch.filter((candidate) => candidate.kind === 'file').map((candidate) => candidate.key);
    if (files.length > 0) asked.push(files);
    const answers = batch.map((candidate) => candidate.kind === 'file' && managed.has(candidate.key));
    for (const key of files) if (managed.has(key)) matched.push(key);
    step = edges.next(answers);
  }
  return { asked, matched };
}

// A merged-/usr layout of its own (bin → usr/bin, lib → usr/lib) in a
// folder made here, so that this holds on any host. The links are followed
// only as root keeps them: made as root.
describe.runIf(process.getuid?.() === 0)('file autoedges through the system links (as root)', () => {
  let root = '';
  let links: SystemLinks;
  const at = (path: string) => `${root}${path}`;

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'res-file-links-')));
    for (const folder of ['/usr/bin', '/usr/lib/app', '/usr/share']) mkdirSync(at(folder), { recursive: true });
    symlinkSync('usr/bin', at('/bin'));
    symlinkSync('usr/lib', at('/lib'));
    links = new SystemLinks(['/bin', '/lib'].map(at));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('claims the real path of a file, folder or link however spelled', () => {
    expect(fileUids({ path: at('/lib/app/') }, links)).toEqual([{ kind: 'file', key: at('/usr/lib/app/') }]);
    expect(fileUids({ path: at('//lib/./app/x.conf') }, links)).toEqual([{ kind: 'file', key: at('/usr/lib/app/x.conf') }]);
    expect(fileUids({ path: at('/bin/tool'), symlink: true, source: '/opt/tool' }, links)).toEqual([{ kind: 'file', key: at('/usr/bin/tool') }]);
    // A folder read whole is known by its real path too.
    expect(fileUids({ path: at('/usr/lib/app/all.conf'), fragments: [at('/lib/app/conf.d/')] }, links)).toContainEqual({ kind: 'file-input-folder', key: at('/usr/lib/app/conf.d/') });
  });

  it('finds its folder managed under the real path (QA: /lib/x had no edge from file[/usr/lib/]), and its inputs so spelled', () => {
    const inFolder = search({ path: at('/lib/app/x.conf') }, links, new Set([at('/usr/lib/app/')]));
    expect(inFolder.asked[0]).toEqual([at('/usr/lib/app/'), at('/usr/lib/app')]);
    expect(inFolder.matched).toEqual([at('/usr/lib/app/')]);
    // The other way round: a file under the real path, its folder spelled through the link.
    expect(search({ path: at('/usr/lib/app/x.conf') }, links, new Set(fileUids({ path: at('/lib/app/') }, links).map((uid) => uid.key))).matched).toEqual([at('/usr/lib/app/')]);
    const inputs = search({ path: at('/usr/lib/app/x.conf'), fragments: [at('/lib/app/a'), at('/lib/app/d/')] }, links, new Set());
    expect(inputs.asked[0]).toEqual([at('/usr/lib/app/a'), at('/usr/lib/app/d/')]);
    expect(search({ path: at('/usr/lib/app/y'), source: at('/bin//tool') }, links, new Set()).asked[0]).toEqual([at('/usr/bin/tool')]);
  });

  it('reads a relative link target from the folder the link is really in, as the kernel does', () => {
    const link = at('/bin/t');
    expect(search({ path: link, symlink: true, source: '../share/t' }, links, new Set()).asked[0]).toEqual([at('/usr/share/t'), at('/usr/share/t/')]);
  });
});

// The host's own links: this block needs a merged-/usr host (/bin → usr/bin,
// /lib → usr/lib), as Debian 12 and the machines this project's CI runs on
// are. It fails, and does not skip, anywhere else. It writes programs of its
// own into /usr/bin and /usr/lib, removed afterwards: as root.
describe.runIf(process.getuid?.() === 0)("autoedges through this host's merged /usr, with exec (as root)", () => {
  const name = `converge-merged-usr-${process.pid}`;
  const program = `/usr/bin/${name}`;
  const folder = `/usr/lib/${name}`;
  let out = '';
  let remove: () => Promise<void> = async () => {};
  let running: TestEngine | undefined;

  beforeAll(async () => {
    ({ dir: out, remove } = await tempDir());
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await rm(program, { force: true });
    await rm(`/usr/bin/${name}-2`, { force: true });
    await rm(folder, { recursive: true, force: true });
  });
  afterAll(() => remove());

  it('needs /bin and /lib to be the links of a merged /usr', () => {
    expect(readlinkSync('/bin'), 'this host is not merged-/usr: /bin must be a link to usr/bin (Debian 12 is)').toBe('usr/bin');
    expect(readlinkSync('/lib'), 'this host is not merged-/usr: /lib must be a link to usr/lib (Debian 12 is)').toBe('usr/lib');
  });

  it('runs an exec of /bin/x after file[/usr/bin/x], and of /usr/bin/x after file[/bin/x] (QA: it ran first and failed, ENOENT)', async () => {
    const yaml = `graph: merged
resources:
  file:
    - {name: ${program}, state: exists, mode: "0755", content: "#!/bin/sh\\necho one >> ${out}/ran\\n"}
    - {name: /bin/${name}-2, state: exists, mode: "0755", content: "#!/bin/sh\\necho two >> ${out}/ran\\n"}
    - {name: ${folder}/, state: exists}
    - {name: /lib/${name}/x.conf, state: exists, content: "x"}
  exec:
    - {name: one, cmd: /bin/${name}}
    - {name: two, cmd: "//usr/local/../bin/${name}-2", cwd: /lib/${name}}
`;
    running = await startTestEngine({ resources: [fileResource, execResource], yaml });
    expect(planGraph(running.graph).edges.filter((edge) => edge.origin === 'auto').map((edge) => `${edge.from} -> ${edge.to}`).sort()).toEqual(
      [
        `file[${program}] -> exec[one]`,
        `file[/bin/${name}-2] -> exec[two]`,
        `file[${folder}/] -> exec[two]`,
        `file[${folder}/] -> file[/lib/${name}/x.conf]`,
      ].sort(),
    );
    await running.waitConverged(20_000);
    for (const status of running.engine.statuses()) expect(status.lastError, status.id).toBeUndefined();
    expect((await readFile(join(out, 'ran'), 'utf8')).split('\n').sort()).toEqual(['', 'one', 'two']);
  });
});
