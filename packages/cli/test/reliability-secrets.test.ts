import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// A generated password sent into a file, and a literal secret written in the
// graph: neither may show up in logs (debug, JSON), errors, `converge graph`,
// metrics or the web view; state files that may hold them are 0600; a
// symlink planted at a managed path is not followed.

const LITERAL = 'literal-secret-4f9c2e';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

function secretGraph(dir: string): string {
  return `graph: secrets
resources:
  password:
  - name: db
    length: 32
    saved: true
  file:
  - name: ${join(dir, 'db.secret')}
    state: exists
    mode: "0600"
    meta:
      reverse: true
  - name: ${join(dir, 'literal.secret')}
    state: exists
    mode: "0600"
    content: "${LITERAL}\\n"
  exec:
  - name: on-secret
    cmd: /bin/false
    refreshonly: true
edges:
- name: password-into-file
  from: {kind: password, name: db}
  to: {kind: file, name: ${join(dir, 'db.secret')}}
  send: password
  recv: content
- name: file-notifies-exec
  from: {kind: file, name: ${join(dir, 'db.secret')}}
  to: {kind: exec, name: on-secret}
  notify: true
`;
}

/** Every file below `dir`, recursively. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Reads an HTTP response body, at most `ms` long (the web view's event stream never ends). */
async function fetchFor(url: string, ms: number): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body?.getReader();
  let text = '';
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += Buffer.from(chunk.value).toString('utf8');
    }
  } catch {
    // aborted: the stream was read for `ms`
  } finally {
    clearTimeout(timer);
  }
  return text;
}

describe('secrets', () => {
  it('never appear in logs, errors, graph output, metrics or the web view; their state files are 0600', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const secretFile = join(dir, 'db.secret');
    await writeFile(secretFile, 'what was there before\n', { mode: 0o600 });
    const graph = await writeGraph(dir, 'graph.yaml', secretGraph(dir));

    const cli = startCli([
      'run', '--prefix', state, '--log-level', 'debug', '--log-json', '--no-watch', '--converger-timeout=0',
      '--ui', '127.0.0.1:0', '--prometheus', '127.0.0.1:0', graph,
    ]);
    await cli.waitFor(/web view at (http:\/\/\S+?)["\s\\]/);
    await cli.waitFor(/metrics at (http:\/\/\S+?)["\s\\]/);
    // The exec fails (on purpose: its refresh then stays pending on disk).
    await cli.waitFor(/failed: exec\[on-secret\]/, 20_000);
    const password = (await readFile(secretFile, 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);

    const output = `${cli.stdout}\n${cli.stderr}`;
    const webUrl = /web view at (http:\/\/[^"\s\\]+)/.exec(output)?.[1] ?? '';
    const metricsUrl = /metrics at (http:\/\/[^"\s\\]+)/.exec(output)?.[1] ?? '';
    const metrics = await fetchFor(new URL('/metrics', metricsUrl).href, 2_000);
    const page = await fetchFor(webUrl, 2_000);
    const events = await fetchFor(new URL('/events', webUrl).href, 500);
    expect(metrics).toContain('converge_');
    expect(events).toContain('on-secret');

    // State files that may hold a secret, while the engine still runs.
    const stateFiles = await filesBelow(state);
    const modes = await Promise.all(stateFiles.map(async (file) => [file, (await stat(file)).mode & 0o777] as const));
    const saved = modes.filter(([file]) => file.endsWith('/password'));
    const reversals = modes.filter(([file]) => file.includes('/reversals/'));
    const refreshes = modes.filter(([file]) => file.includes('/refresh/'));
    expect(saved).toHaveLength(1);
    expect(reversals).toHaveLength(1);
    expect(refreshes).toHaveLength(1);
    expect([...saved, ...reversals, ...refreshes].filter(([, mode]) => mode !== 0o600)).toEqual([]);
    expect((await readFile(saved[0]?.[0] ?? '', 'utf8')).trim()).toBe(password);
    expect(await readFile(reversals[0]?.[0] ?? '', 'utf8')).toContain('what was there before');
    expect((await stat(state)).mode & 0o077).toBe(0);

    cli.child.kill('SIGTERM');
    const result = await cli.result;
    const views = await Promise.all(
      ['json', 'dot', 'mermaid', 'svg'].map((format) => runCli(['graph', '--format', format, graph])),
    );
    for (const view of views) expect(view.code, view.stderr).toBe(0);

    const everything = [result.stdout, result.stderr, metrics, page, events, ...views.flatMap((view) => [view.stdout, view.stderr])];
    expect(result.stderr).toContain('"level":20'); // debug lines were written
    for (const text of everything) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(LITERAL);
    }
  }, 60_000);

  // QA: with two passwords, one of 32,768 characters or more, masking threw (a regex too large for V8), the stray-error
  // handler's masking threw again, and Node printed both passwords in clear and exited 7.
  it('of any size are masked together: a run with a 32,768-character password and another converges, and shows neither', async () => {
    const dir = await makeTempDir();
    const [longFile, shortFile] = [join(dir, 'long.secret'), join(dir, 'short.secret')];
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: crash
resources:
  password:
    - {name: long, length: 32768}
    - {name: short, length: 8}
  file:
    - {name: ${longFile}, state: exists, mode: "0600"}
    - {name: ${shortFile}, state: exists, mode: "0600"}
edges:
- {name: e1, from: {kind: password, name: long}, to: {kind: file, name: ${longFile}}, send: password, recv: content}
- {name: e2, from: {kind: password, name: short}, to: {kind: file, name: ${shortFile}}, send: password, recv: content}
`,
    );
    for (const flags of [[], ['--log-level', 'debug', '--log-json']]) {
      const result = await runCli(['run', ...ONCE, ...flags, graph], { timeoutMs: 30_000 });
      expect(result.code, result.stderr.slice(0, 2_000)).toBe(0);
      expect(result.stderr).toContain('0 pending · 0 running · 4 converged · 0 failed');
      const passwords = [(await readFile(longFile, 'utf8')).trim(), (await readFile(shortFile, 'utf8')).trim()];
      expect(passwords[0]).toMatch(/^[A-Za-z0-9]{32768}$/);
      expect(passwords[1]).toMatch(/^[A-Za-z0-9]{8}$/);
      expect(result.stderr).not.toContain('internal error');
      for (const password of passwords) {
        expect(result.stdout).not.toContain(password);
        expect(result.stderr).not.toContain(password);
      }
    }
  }, 90_000);

  it('stay masked when received into a command: its failures and log lines show [secret]', async () => {
    const dir = await makeTempDir();
    const saved = join(dir, 'saved');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: secret-cmd
resources:
  password:
  - name: pw
    length: 24
  exec:
  - name: uses-it
    cmd: /bin/true
  - name: logs-it
    cmd: /bin/true
    donecmd: "true"
    doneshell: /bin/sh
  file:
  - name: ${saved}
    state: exists
    mode: "0600"
edges:
- {name: e1, from: {kind: password, name: pw}, to: {kind: exec, name: uses-it}, send: password, recv: ifcmd}
- {name: e2, from: {kind: password, name: pw}, to: {kind: exec, name: logs-it}, send: password, recv: donecmd}
- {name: e3, from: {kind: password, name: pw}, to: {kind: file, name: ${saved}}, send: password, recv: content}
`,
    );

    const result = await runCli(['run', ...ONCE, '--log-level', 'debug', '--log-json', graph]);

    const password = (await readFile(saved, 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    // ifcmd is the password: it cannot be started, and the failure says so without it.
    expect(result.stdout).toMatch(/failed: exec\[uses-it\]: .*\[secret\]/);
    expect(`${result.stdout}${result.stderr}`).toContain('[secret]');
    expect(result.stdout).not.toContain(password);
    expect(result.stderr).not.toContain(password);
  }, 30_000);

  it("a command's output received into a file's owner or group is not shown when it fails them, newline and all (QA: owner \"TOKEN-abc123\\n\" is not a user name)", async () => {
    const dir = await makeTempDir();
    const [owned, grouped, token] = [join(dir, 'o1'), join(dir, 'o2'), join(dir, 'token')];
    // Only in what the command prints: its command line is logged.
    await writeFile(token, `${LITERAL}\n`);
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: received-owner
resources:
  exec:
  - {name: tok, cmd: /bin/cat ${token}}
  file:
  - {name: ${owned}, state: exists, content: "o\\n"}
  - {name: ${grouped}, state: exists, content: "o\\n"}
edges:
- {name: e1, from: {kind: exec, name: tok}, to: {kind: file, name: ${owned}}, send: stdout, recv: owner}
- {name: e2, from: {kind: exec, name: tok}, to: {kind: file, name: ${grouped}}, send: stdout, recv: group}
`,
    );
    // (At debug level the command's own output is logged, as it is for any command.)
    for (const flags of [[], ['--log-json']]) {
      const result = await runCli(['run', ...ONCE, ...flags, graph]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toContain(`failed: file[${owned}]: with the values received (owner): param 'owner': owner "<param owner, received>"`);
      expect(result.stdout).toContain(`failed: file[${grouped}]: with the values received (group): param 'group': group "<param group, received>"`);
      expect(`${result.stdout}${result.stderr}`).not.toContain(LITERAL);
    }
  }, 30_000);

  it('no piece of one shows where a command\'s output was cut to its last bytes (stderr tail, debug output)', async () => {
    const dir = await makeTempDir();
    const saved = join(dir, 'token');
    // The stderr tail keeps the last 2 KiB: 2,000 x's after the token put the cut inside it.
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: cut
resources:
  password:
  - {name: token, length: 32}
  file:
  - {name: ${saved}, state: exists, mode: "0600"}
  exec:
  - name: use-token
    shell: /bin/sh
    cmd: 'printf "token %s rejected; server said: %s\\n" "$(cat ${saved})" "$(head -c 2000 /dev/zero | tr "\\0" x)" >&2; exit 1'
edges:
- {name: pw, from: {kind: password, name: token}, to: {kind: file, name: ${saved}}, send: password, recv: content}
- {name: order, from: {kind: file, name: ${saved}}, to: {kind: exec, name: use-token}}
`,
    );
    for (const format of [[], ['--log-json', '--log-level', 'debug']]) {
      const result = await runCli(['run', ...ONCE, ...format, graph]);
      const password = (await readFile(saved, 'utf8')).trim();
      expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(output).toContain('rejected; server said');
      expect(output).toContain(`…${'[secret]'} rejected`);
      // No run of 6 of its characters anywhere.
      for (let at = 0; at + 6 <= password.length; at++) expect(output).not.toContain(password.slice(at, at + 6));
    }
  }, 30_000);

  it.each([
    ['after the password (an edge orders them)', true],
    ['in no order with the password', false],
  ])('a noop diff of a file holding a saved password shows [secret]: %s', async (_label, ordered) => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const target = join(dir, 'shared.conf');
    // First run: the saved password is sent into a world-readable file.
    const first = await writeGraph(
      dir,
      'first.yaml',
      `graph: first
resources:
  password: [{name: db, length: 24, saved: true}]
  file: [{name: ${target}, state: exists, mode: "0644"}]
edges:
- {name: e, from: {kind: password, name: db}, to: {kind: file, name: ${target}}, send: password, recv: content}
`,
    );
    const applied = await runCli(['run', ...onceWithState(state), first]);
    expect(applied.code, applied.stderr).toBe(0);
    const password = (await readFile(target, 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);

    // Second graph, in noop: the file gets other content; its diff would show the old one.
    const second = await writeGraph(
      dir,
      'second.yaml',
      `graph: second
resources:
  password: [{name: db, length: 24, saved: true}]
  file: [{name: ${target}, state: exists, mode: "0644", content: "rotated away\\n"}]
${ordered ? `edges:\n- {name: e, from: {kind: password, name: db}, to: {kind: file, name: ${target}}}\n` : ''}`,
    );
    for (const format of [[], ['--log-json']]) {
      const dry = await runCli(['run', '--noop', ...format, ...onceWithState(state), second]);
      expect(dry.code, dry.stderr).toBe(0);
      const output = `${dry.stdout}\n${dry.stderr}`;
      expect(output).toContain('+rotated away');
      expect(output).toContain('-[secret]');
      expect(output).not.toContain(password);
    }
    expect((await readFile(target, 'utf8')).trim()).toBe(password);
  }, 30_000);

  it('a symlink planted at a managed path is not followed, and the refusal does not print the secret', async () => {
    const dir = await makeTempDir();
    const victim = join(dir, 'victim');
    const secretFile = join(dir, 'db.secret');
    await writeFile(victim, 'untouched\n');
    await symlink(victim, secretFile);
    const graph = await writeGraph(dir, 'graph.yaml', secretGraph(dir));

    const result = await runCli(['run', ...ONCE, '--no-watch', '--log-level', 'debug', graph]);

    expect(result.code).toBe(1);
    expect(await readFile(victim, 'utf8')).toBe('untouched\n');
    expect((await lstat(secretFile)).isSymbolicLink()).toBe(true);
    expect(result.stderr).toContain(`file[${secretFile}]`);
    expect(result.stderr).toMatch(/symlink/i);
    expect(result.stderr).not.toContain(LITERAL);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    // Nothing shaped like a generated password is printed.
    expect(result.stderr).not.toMatch(/\b[A-Za-z0-9]{32}\b/);
  });
});
