import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { jsonLines, type JsonRecord } from './support/json-lines.js';

const servers: Server[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await removeTempDirs();
});

/** The one error line (level 50) that a run stopped by with --log-json, with its code and hint as fields; no info line carries the hint. */
function theFailure(stderr: string): JsonRecord {
  const lines = jsonLines(stderr);
  expect(lines.filter((line) => typeof line['msg'] === 'string' && line['msg'].startsWith('hint: ')), stderr).toEqual([]);
  const errors = lines.filter((line) => line['level'] === 50);
  expect(errors, stderr).toHaveLength(1);
  return errors[0] as JsonRecord;
}

async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('--log-json: a run that stops before it starts says why in one error line, its hint a field (QA: info lines, the hint a second one)', () => {
  it('a graph file that does not load: the shape the others follow', async () => {
    const result = await runCli(['run', ...ONCE, '--log-json', '/nonexistent/graph.yaml']);
    expect(result.code).toBe(2);
    const error = jsonLines(result.stderr).find((line) => line['level'] === 50);
    expect(error).toMatchObject({ code: 'ERR_GRAPH_FILE', hint: expect.any(String), msg: expect.any(String) });
  });

  it('the state directory is in use by another run', async () => {
    const prefix = join(await makeTempDir(), 'state');
    const first = startCli(['run', '--prefix', prefix, 'examples/hello.yaml']);
    await first.waitFor(/converged: noop\[done\]/);

    const json = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', '--log-json', 'examples/hello.yaml']);
    expect(json.code).toBe(2);
    expect(theFailure(json.stderr)).toMatchObject({
      code: 'ERR_STATE_DIR',
      msg: `cannot use the state directory: ${prefix} is in use by another converge run (process ${first.child.pid}): two runs on one state directory would undo each other's saved state`,
      hint: 'stop that run first, or give this one its own --prefix DIR (or --tmp-prefix)',
    });

    // Text as it was: the message, then the hint on a line of its own.
    const text = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']);
    expect(text.stderr).toContain(`converge: cannot use the state directory: ${prefix} is in use`);
    expect(text.stderr).toContain('\nconverge: hint: stop that run first, or give this one its own --prefix DIR (or --tmp-prefix)\n');
  });

  it('--ui on a port already taken', async () => {
    const port = await takenPort();
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--log-json', '--ui', String(port), 'examples/hello.yaml']);
    expect(result.code).toBe(2);
    expect(theFailure(result.stderr)).toMatchObject({
      code: 'ERR_LISTEN',
      msg: expect.stringContaining(`cannot serve the web view on 127.0.0.1:${port}: `),
      hint: 'choose another address with --ui HOST:PORT (port 0 picks a free one)',
    });
  });

  it('a --converged-status-file that cannot be written', async () => {
    const result = await runCli(['run', ...ONCE, '--log-json', '--converged-status-file', '/nonexistent/x', 'examples/hello.yaml']);
    expect(result.code).toBe(2);
    expect(theFailure(result.stderr)).toMatchObject({ code: 'ERR_RUN_FILE', msg: expect.stringMatching(/^--converged-status-file \/nonexistent\/x: cannot write it: .*nothing was applied$/) });
  });
});

describe('--log-json: problems found before the run has a logger are JSON lines too (QA: plain text)', () => {
  it.each([
    ['--converged-status-file without a timeout', ['--tmp-prefix', '--converged-status-file', 'status', 'examples/hello.yaml'], /^--converged-status-file needs a converger timeout/],
    ['--converged-exit without a timeout', ['--tmp-prefix', '--converged-exit', 'examples/hello.yaml'], /^--converged-exit needs a converger timeout/],
    ['no graph file', ['--tmp-prefix'], /^run needs a graph file/],
    ["a flag of mgmt's that converge refuses", ['--tmp-prefix', '--client-urls', 'http://127.0.0.1:2379', 'examples/hello.yaml'], /^--client-urls: /],
  ])('%s', async (_name, args, message) => {
    const result = await runCli(['run', '--log-json', ...args]);
    expect(result.code).toBe(2);
    expect(theFailure(result.stderr)).toMatchObject({ code: 'ERR_USAGE', msg: expect.stringMatching(message) });
  });

  it.each([
    ['an unknown flag', ['--bogus'], "unknown option '--bogus'"],
    ['a switch given a value it does not take', ['--noop=maybe'], '--noop=maybe: --noop is a switch: give it alone, or as --noop=true or --noop=false'],
  ])('%s: the usage hint as a field', async (_name, args, message) => {
    const json = await runCli(['run', '--tmp-prefix', '--log-json', ...args, 'examples/hello.yaml']);
    expect(json.code).toBe(2);
    expect(theFailure(json.stderr)).toMatchObject({ code: 'ERR_USAGE', msg: message, hint: 'add --help for usage' });
    const text = await runCli(['run', '--tmp-prefix', ...args, 'examples/hello.yaml']);
    expect(text).toMatchObject({ code: 2, stderr: `error: ${message}\n(add --help for usage)\n` });
  });
});
