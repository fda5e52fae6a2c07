import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { tempFilesIn, writeBigGraph } from './support/big-graph.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** A run of 3,000 file writes, stopped twice once writes are in flight. */
async function stoppedTwice(extra: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const dir = await makeTempDir();
  const { graph, folders } = await writeBigGraph(dir, 3000, 4096);
  const cli = startCli(['run', '--prefix', `${dir}/state`, '--converger-timeout', '3', ...extra, graph]);
  while ((await tempFilesIn(folders)).length < 20 && cli.child.exitCode === null) await sleep(5);
  cli.child.kill('SIGINT');
  await sleep(20);
  cli.child.kill('SIGINT');
  return cli.result;
}

describe('a stop during a large apply (QA: 6,498 `still running` lines, then 3,249 failures, one line each)', () => {
  it('names the first 10 calls still running and the first 10 failures, then says how many more', async () => {
    const { code, stderr } = await stoppedTwice([]);
    expect(code).toBe(1);
    const lines = stderr.split('\n');
    const named = lines.filter((line) => /^converge: still running: file\[/.test(line));
    // Twice: at the first signal and at the second.
    expect(named.length).toBeLessThanOrEqual(20);
    expect(lines.filter((line) => /^converge: still running: … and \d+ more$/.test(line)).length).toBe(2);
    const failed = Number(/converge: (\d+) resources failed:/.exec(stderr)?.[1]);
    expect(failed).toBeGreaterThan(10);
    expect(lines.filter((line) => /^file\[.*\]: checkApply failed: /.test(line))).toHaveLength(10);
    expect(stderr).toContain(`converge: … and ${failed - 10} more failed`);
  });

  it('with --log-json, still names every call still running, a record each', async () => {
    const { stderr } = await stoppedTwice(['--log-json']);
    const records = stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; resource?: string });
    const named = records.filter((record) => record.msg.startsWith('still running: file['));
    expect(named.length).toBeGreaterThan(20);
    expect(named.every((record) => record.resource?.startsWith('file['))).toBe(true);
    expect(records.some((record) => record.msg.includes('more'))).toBe(false);
  });
});
