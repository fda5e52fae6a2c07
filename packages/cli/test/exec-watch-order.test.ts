import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// Two execs watch one file, with an edge b -> a. The watch of a tells the
// change first (its watch was made first), and the engine checks b before
// a runs: b's own event was not there yet, and b's check found nothing to
// do, so a ran before b (QA). b must see the change at that check.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

const linesOf = async (path: string): Promise<string[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** The graph; the edge is added later, so that a's watch is made before b's and keeps its place. */
function graph(dir: string, withEdge: boolean): string {
  const [log, t] = [join(dir, 'log'), join(dir, 't')];
  return `graph: ord
resources:
  exec:
    - {name: a, cmd: "echo a-start >> ${log}", shell: /bin/sh, watchfiles: [${t}]}
    - {name: b, cmd: "echo b-start >> ${log}; sleep 0.5; echo b-end >> ${log}", shell: /bin/sh, watchfiles: [${t}]}
${withEdge ? 'edges:\n  - {name: ba, from: {kind: exec, name: b}, to: {kind: exec, name: a}}\n' : ''}`;
}

describe('two execs watching one file, b -> a', () => {
  it('runs b, then a, once each, at every change of the file, whichever watch tells it first', async () => {
    const dir = await makeTempDir();
    const [file, log, t] = [join(dir, 'graph.yaml'), join(dir, 'log'), join(dir, 't')];
    await writeFile(file, graph(dir, false));
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', file]);
    await cli.waitFor(/converge: converged/);
    await writeFile(file, graph(dir, true));
    await cli.waitFor(/reloaded .*graph\.yaml: 2 resources/);
    await sleep(300);
    for (let round = 0; round < 3; round += 1) {
      const before = (await linesOf(log)).length;
      await writeFile(t, `${round}\n`);
      const deadline = Date.now() + 5_000;
      while (!(await linesOf(log)).slice(before).includes('a-start')) {
        if (Date.now() > deadline) throw new Error(`a did not run: ${JSON.stringify(await linesOf(log))}`);
        await sleep(20);
      }
      // Time for a second run of b, which one change must not cause.
      await sleep(800);
      expect((await linesOf(log)).slice(before), `round ${round}`).toEqual(['b-start', 'b-end', 'a-start']);
    }
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  }, 30_000);
});
