import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { jsonLines, type JsonRecord } from './support/json-lines.js';
import { runCli, type CliResult } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// `run --log-json` made stderr JSON lines from the first to the last; deploy,
// retire, status and schema wrote `converge: …` text whatever was asked, so a
// script driving a cluster could not read their errors.

afterEach(removeTempDirs);

/** Nothing listens there: the etcd client is refused at once. */
const NO_ETCD = '--seeds=http://127.0.0.1:1';

/** Every stderr line is JSON; returns the one error line (level 50), which says what went wrong. */
function theError(result: CliResult): JsonRecord {
  const errors = jsonLines(result.stderr).filter((line) => line['level'] === 50);
  expect(errors, result.stderr).toHaveLength(1);
  return errors[0] as JsonRecord;
}

const unreachable = /the world \(etcd\) is unreachable: .*ECONNREFUSED 127\.0\.0\.1:1/;

describe('--log-json on the cluster commands and schema: stderr is JSON lines, exit codes as in text', () => {
  it('status: etcd unreachable is one error line (ERR_CLUSTER), exit 1; stdout (--json, the data) gets nothing', async () => {
    const result = await runCli(['status', NO_ETCD, '--json', '--log-json']);
    expect(result.code, result.stderr).toBe(1);
    expect(theError(result)).toMatchObject({ code: 'ERR_CLUSTER', msg: expect.stringMatching(/^cannot read the cluster's status: /) });
    expect(theError(result)['msg']).toMatch(unreachable);
    expect(result.stdout).toBe('');
  });

  it('status: a usage error (no --seeds) is one error line (ERR_USAGE) with its hint, exit 2', async () => {
    const result = await runCli(['status', '--log-json']);
    expect(result.code, result.stderr).toBe(2);
    expect(theError(result)).toMatchObject({ code: 'ERR_USAGE', msg: "required option '--seeds <urls>' not specified", hint: 'add --help for usage' });
  });

  it('retire: etcd unreachable, exit 1; --log-json=true as a switch with a value', async () => {
    const result = await runCli(['retire', 'h1', NO_ETCD, '--log-json=true']);
    expect(result.code, result.stderr).toBe(1);
    expect(theError(result)).toMatchObject({ code: 'ERR_CLUSTER', msg: expect.stringMatching(/^cannot retire h1: /) });
    expect(theError(result)['msg']).toMatch(unreachable);
  });

  it('deploy: etcd unreachable, exit 1', async () => {
    const result = await runCli(['deploy', 'examples/hello.yaml', NO_ETCD, '--log-json']);
    expect(result.code, result.stderr).toBe(1);
    expect(theError(result)).toMatchObject({ code: 'ERR_CLUSTER', msg: expect.stringMatching(/^cannot deploy: /) });
    expect(theError(result)['msg']).toMatch(unreachable);
  });

  it("deploy: a graph that does not load is told as run tells it, with its code, file and line; exit 2, etcd never asked", async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'bad.yaml', 'graph: bad\nresources:\n  noop:\n    - name: a\n      colour: red\n');
    const result = await runCli(['deploy', graph, NO_ETCD, '--log-json']);
    expect(result.code, result.stderr).toBe(2);
    expect(theError(result)).toMatchObject({ code: 'ERR_UNKNOWN_PARAM', location: { file: graph, line: 5 }, msg: expect.stringContaining('colour') });
  });

  it('schema: the schema on stdout, parsed; stderr JSON lines if any', async () => {
    const result = await runCli(['schema', '--log-json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#' });
    jsonLines(result.stderr);
  });

  it('schema -o: the file written is told as a JSON line', async () => {
    const output = join(await makeTempDir(), 'converge.schema.json');
    const result = await runCli(['schema', '-o', output, '--log-json']);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stderr)).toContainEqual(expect.objectContaining({ level: 30, msg: expect.stringMatching(/^wrote .*converge\.schema\.json \(\d+ kinds: /) }));
    expect(JSON.parse(await readFile(output, 'utf8'))).toHaveProperty('definitions');
  });

  it('schema -o: a file that cannot be written is one error line (ERR_RUN_FILE), exit 2', async () => {
    const result = await runCli(['schema', '-o', '/nonexistent/converge.schema.json', '--log-json']);
    expect(result.code, result.stderr).toBe(2);
    expect(theError(result)).toMatchObject({ code: 'ERR_RUN_FILE', msg: expect.stringMatching(/^cannot write \/nonexistent\/converge\.schema\.json: ENOENT/) });
  });
});
