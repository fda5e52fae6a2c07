import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// The built command with the three local resource packages (found in
// node_modules from the repo root): a password sent into a file's content,
// the file under a managed directory (autoedge), a refreshonly exec notified
// by the file, and the exec's script managed as a file (exec path autoedge).

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

interface Layout {
  readonly root: string;
  readonly secret: string;
  readonly script: string;
  readonly marker: string;
}

function layout(dir: string): Layout {
  const root = join(dir, 'app');
  return { root, secret: join(root, 'db.secret'), script: join(root, 'on-secret.sh'), marker: join(dir, 'marker') };
}

function localGraph({ root, secret, script, marker }: Layout): string {
  return `graph: local-resources
resources:
  password:
  - name: db
    length: 32
  file:
  - name: ${root}/
    state: exists
    mode: "0755"
  - name: ${secret}
    state: exists
    mode: "0600"
  - name: ${script}
    state: exists
    mode: "0755"
    content: |
      #!/bin/sh
      echo refreshed >> ${marker}
  exec:
  - name: on-secret
    cmd: ${script}
    refreshonly: true
edges:
- name: password-into-file
  from: {kind: password, name: db}
  to: {kind: file, name: ${secret}}
  send: password
  recv: content
- name: file-notifies-exec
  from: {kind: file, name: ${secret}}
  to: {kind: exec, name: on-secret}
  notify: true
`;
}

/** Resolves once `check` holds, polling every 2 ms; rejects after `timeoutMs`. */
async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(2);
  }
  throw new Error(`not repaired within ${timeoutMs} ms`);
}

const contentOf = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

describe('a graph of file, exec and password', () => {
  it('converges with send/recv, autoedges and a notify edge, and never prints the password', async () => {
    const dir = await makeTempDir();
    const paths = layout(dir);
    const graph = await writeGraph(dir, 'local.yaml', localGraph(paths));

    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    const password = await readFile(paths.secret, 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await stat(paths.secret)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.script)).mode & 0o777).toBe(0o755);
    // The refreshonly exec ran once, after the file changed, and not before its script existed.
    expect(await readFile(paths.marker, 'utf8')).toBe('refreshed\n');
    expect(result.stdout).toContain('changed: exec[on-secret]');
    expect(result.stdout.indexOf(`changed: file[${paths.root}/]`)).toBeLessThan(result.stdout.indexOf(`changed: file[${paths.secret}]`));
    expect(result.stdout.indexOf(`changed: file[${paths.script}]`)).toBeLessThan(result.stdout.indexOf('changed: exec[on-secret]'));
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('writes a large file into a directory it purges while watching, without purging the write under way', async () => {
    const dir = await makeTempDir();
    const source = join(dir, 'big.bin');
    // Large enough that the write is still under way when the directory hears of its temp file.
    const bytes = Buffer.alloc(4 << 20, 7);
    await writeFile(source, bytes);
    const graph = await writeGraph(
      dir,
      'purged.yaml',
      `graph: purged
resources:
  file:
  - name: ${dir}/t/
    state: exists
    recurse: true
    purge: true
  - name: ${dir}/t/big
    state: exists
    source: ${source}
`,
    );
    // Watching (not one-shot), as a long-running converge does.
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=1', '--converged-exit', graph], { timeoutMs: 30_000 });
    expect(result.code, result.stderr).toBe(0);
    expect((await readFile(join(dir, 't', 'big'))).equals(bytes)).toBe(true);
    expect(result.stderr).not.toMatch(/purge .*converge-.*\.tmp/);
  });

  it('puts the file back within a second each time it is deleted or overwritten, and stops on SIGINT', async () => {
    const dir = await makeTempDir();
    const paths = layout(dir);
    const graph = await writeGraph(dir, 'local.yaml', localGraph(paths));
    const cli = startCli(['run', '--tmp-prefix', graph]);
    await cli.waitFor(/changed: exec\[on-secret\]/);
    const password = await readFile(paths.secret, 'utf8');
    expect(password).toHaveLength(32);

    for (let round = 0; round < 3; round++) {
      await unlink(paths.secret);
      await within(1_000, async () => (await contentOf(paths.secret)) === password);
      await writeFile(paths.secret, 'drifted');
      await within(1_000, async () => (await contentOf(paths.secret)) === password);
    }
    expect((await stat(paths.secret)).mode & 0o777).toBe(0o600);

    cli.child.kill('SIGINT');
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(password);
  });
});
