import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { describeStrayError, ERROR_NOT_SHOWN } from '../src/stray-errors.js';
import { writeGraph } from './support/graphs.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

// A plugin's bug that escapes every handler (Node's default: print it as it
// is, secret included, and end the process on the spot).

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** A password sent into a managed file (so the test can read it) and into the stray error's message. */
function strayGraph(dir: string, how: 'reject' | 'throw'): string {
  return `graph: stray
resources:
  password:
  - name: db
    length: 32
  file:
  - name: ${join(dir, 'db.secret')}
    state: exists
    mode: "0600"
  stray:
  - name: bug
    how: ${how}
edges:
- {from: {kind: password, name: db}, to: {kind: file, name: ${join(dir, 'db.secret')}}, send: password, recv: content}
- {from: {kind: password, name: db}, to: {kind: stray, name: bug}, send: password, recv: reason}
# The bug after the file: the stop it brings finds all three converged, however slow the machine is.
- {from: {kind: file, name: ${join(dir, 'db.secret')}}, to: {kind: stray, name: bug}}
`;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

describe('an error that escapes every handler', () => {
  it('a stray rejection is told as an internal error with its secret masked, and the engine goes on repairing', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', strayGraph(dir, 'reject'));
    const cli = startCli(['run', '--tmp-prefix', '--plugin', plugin, graph]);
    await cli.waitFor(/a promise was rejected and nothing handled it; converge goes on/);
    const secretFile = join(dir, 'db.secret');
    await cli.waitFor(/changed: file\[/);
    const password = (await readFile(secretFile, 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);

    // Still running, and still repairing drift.
    await rm(secretFile);
    expect(await eventually(async () => (await readFile(secretFile, 'utf8').catch(() => '')).trim() === password, 5_000)).toBe(true);
    expect(cli.child.exitCode).toBe(null);

    cli.child.kill('SIGTERM');
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('stray error: [secret]');
    expect(result.stderr).toContain("hint: most likely a plugin's bug");
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  }, 30_000);

  it('a stray exception is told with its secret masked, and the run stops in order and exits 1', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', strayGraph(dir, 'throw'));
    const cli = startCli(['run', '--tmp-prefix', '--log-json', '--plugin', plugin, graph]);
    const result = await cli.result;
    const password = (await readFile(join(dir, 'db.secret'), 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);

    expect(result.code).toBe(1);
    const lines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; code?: string });
    const internal = lines.find((line) => line.code === 'ERR_INTERNAL');
    expect(internal?.level).toBe(50);
    expect(internal?.msg).toContain('an exception was thrown and nothing caught it; converge stops: Error: stray error: [secret]');
    // The orderly stop's summary, then why it stopped.
    const messages = lines.map((line) => line.msg);
    expect(messages).toContain('0 pending · 0 running · 3 converged · 0 failed');
    expect(messages.at(-1)).toBe('stopped after an internal error (above)');
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  }, 30_000);
});

describe('an escaped error as it is shown', () => {
  const token = 'TOK7d9b2e1f';
  const masking = { maskSecrets: (text: string) => text.replaceAll(token, '[secret]') };

  it('is its stack with the secrets masked', () => {
    const shown = describeStrayError(new Error(`bad ${token}`), masking);
    expect(shown).toMatch(/^Error: bad \[secret\]\n\s+at /);
    expect(describeStrayError(`rejected with ${token}`, masking)).toBe('rejected with [secret]');
  });

  // QA: masking threw, inside the handler of a stray error: Node printed the exception from masking, both passwords in it, and exited 7.
  it('is a line without its text when masking fails, or when it cannot be made a text: never the text unmasked', () => {
    const failing = {
      maskSecrets: (text: string): string => {
        throw new SyntaxError(`Invalid regular expression: /${text}/: Regular expression too large`);
      },
    };
    expect(describeStrayError(new Error(`bad ${token}`), failing)).toBe(ERROR_NOT_SHOWN);
    expect(describeStrayError(Object.create(null), masking)).toBe(ERROR_NOT_SHOWN);
  });
});
