import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { killGroup, liveMembersOf } from './support/process-groups.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

// The third stop signal must not leave behind the process groups of exec
// resources, even those that ignore SIGTERM: converge exits at once, so
// nothing would be left to send the SIGKILL that ends a graceful stop.

const groups: number[] = [];

afterEach(async () => {
  killAll();
  for (const pgid of groups.splice(0)) killGroup(pgid);
  await removeTempDirs();
});

/**
 * Each command writes `$$` (its shell leads its own group) to a file first.
 * `linger` keeps the orderly stop going, so that converge is still there for
 * the third signal however slowly the test sends it.
 */
function graph(dir: string): string {
  return `graph: stop-exec
resources:
  linger:
  - name: slow-cleanup
  exec:
  - name: hang
    cmd: "echo $$ > ${dir}/cmd.pgid; trap '' TERM; /bin/sleep 1021 & /bin/sleep 1022"
    shell: /bin/sh
  - name: watcher
    cmd: /bin/true
    watchcmd: "echo $$ > ${dir}/watch.pgid; trap '' TERM; /bin/sleep 1083"
    watchshell: /bin/sh
`;
}

async function pgidIn(path: string): Promise<number> {
  for (let tries = 0; tries < 250; tries++) {
    const pgid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (pgid > 0) return pgid;
    await sleep(20);
  }
  throw new Error(`no pgid in ${path}`);
}

describe('the third stop signal', () => {
  it('SIGKILLs every process group of exec resources before converge exits, even those ignoring SIGTERM', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const cli = startCli(['run', '--tmp-prefix', '--plugin', plugin, await writeGraph(dir, 'graph.yaml', graph(dir))]);
    const cmdGroup = await pgidIn(join(dir, 'cmd.pgid'));
    const watchGroup = await pgidIn(join(dir, 'watch.pgid'));
    groups.push(cmdGroup, watchGroup);
    await cli.waitFor(/changed: exec\[watcher\]/);

    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM: stopping/);
    cli.child.kill('SIGTERM'); // aborts the cmd: SIGTERM (ignored), SIGKILL only after 2 s
    // Not /SIGTERM again/, which the first step's message already holds ("send SIGTERM again to abort them"):
    // the third signal would then follow the second before it was handled, and the kernel merges the two.
    await cli.waitFor(/SIGTERM again: aborting/);
    cli.child.kill('SIGTERM');
    const result = await cli.result;

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGTERM a third time: interrupting and exiting now');
    // The SIGKILL was sent before the exit; give the kernel a moment to end the processes.
    await sleep(200);
    expect(liveMembersOf(cmdGroup)).toEqual([]);
    expect(liveMembersOf(watchGroup)).toEqual([]);
  });
});
