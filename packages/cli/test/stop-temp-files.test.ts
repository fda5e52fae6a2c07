import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { tempFilesIn, writeBigGraph } from './support/big-graph.js';
import { killAll, startCli, type CliProcess } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** Waits until at least `count` temp files exist in `folders`: writes are in flight. */
async function untilWriting(cli: CliProcess, folders: readonly string[], count: number): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 5) {
    if ((await tempFilesIn(folders)).length >= count) return;
    if (cli.child.exitCode !== null) break;
    await sleep(5);
  }
  throw new Error(`no write in flight seen\nstderr:\n${cli.stderr}`);
}

describe('a forced stop in the middle of many writes (QA: 0-byte .NAME.converge-XXXX.tmp files left, 1,819 after a third SIGINT)', () => {
  for (const signals of [2, 3]) {
    it(`leaves no temp file after ${signals} SIGINTs`, async () => {
      const dir = await makeTempDir();
      const { graph, folders } = await writeBigGraph(dir, 3000, 4096);
      const cli = startCli(['run', '--prefix', dir + '/state', '--converger-timeout', '3', graph]);
      await untilWriting(cli, folders, 20);
      for (let sent = 0; sent < signals; sent++) {
        cli.child.kill('SIGINT');
        await sleep(20);
      }
      const result = await cli.result;
      expect(result.code).toBe(1);
      expect(await tempFilesIn(folders)).toEqual([]);
    });
  }
});
