import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// An exec's watchfiles and creates follow a symlink at the path itself, as
// mgmt's inotify watch does (QA: a write to the link's target, or the
// target removed, was no event for a running converge).

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const linesOf = async (path: string): Promise<string[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** Polls until `path` holds `count` lines; fails after 5 s. */
async function waitForLines(path: string, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await linesOf(path)).length < count) {
    if (Date.now() > deadline) throw new Error(`${path} did not reach ${count} lines: ${JSON.stringify(await linesOf(path))}`);
    await sleep(20);
  }
}

describe('a running converge with an exec watching a symlink', () => {
  it('runs cmd when the target is written or re-pointed, not for the old target; and again when the target of creates is removed', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'versions'));
    await mkdir(join(dir, 'cur'));
    const [v1, v2, link] = [join(dir, 'versions', 'v1.conf'), join(dir, 'versions', 'v2.conf'), join(dir, 'cur', 'app.conf')];
    await writeFile(v1, 'one\n');
    await writeFile(v2, 'two\n');
    await symlink('../versions/v1.conf', link);
    const built = join(dir, 'built');
    const marker = join(dir, 'marker');
    await writeFile(built, 'x');
    await symlink(built, marker);
    const [log, builds] = [join(dir, 'log'), join(dir, 'builds')];
    const graph = await writeGraph(
      dir,
      'ws.yaml',
      `graph: ws
resources:
  exec:
  - name: w
    cmd: echo ev >> ${log}
    shell: /bin/sh
    watchfiles: [${link}]
  - name: c
    cmd: echo build >> ${builds}; touch ${built}
    shell: /bin/sh
    creates: ${marker}
`,
    );
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', graph]);
    await cli.waitFor(/converge: converged/);
    expect(await linesOf(log)).toEqual(['ev']);
    expect(await linesOf(builds)).toEqual([]);

    await appendFile(v1, 'more\n');
    await waitForLines(log, 2);
    execFileSync('ln', ['-sfn', '../versions/v2.conf', link]);
    await waitForLines(log, 3);
    await appendFile(v2, 'more\n');
    await waitForLines(log, 4);
    await appendFile(v1, 'old\n');
    await sleep(500);
    expect(await linesOf(log)).toHaveLength(4);

    await rm(built);
    await waitForLines(builds, 1);
    await sleep(500);
    expect(await linesOf(builds)).toEqual(['build']);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });
});
