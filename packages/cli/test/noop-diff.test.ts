import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

/** A graph (in `dir`) whose password `db` is sent into the content of `secretFile`; `extra` params of each, as YAML. */
function passwordIntoFile(dir: string, secretFile: string, extra: { password: string; file: string }): Promise<string> {
  return writeGraph(
    dir,
    'graph.yaml',
    `graph: secrets
resources:
  password:
    - name: db
      ${extra.password}
  file:
    - name: ${secretFile}
      state: exists
      ${extra.file}
edges:
  - from: {kind: password, name: db}
    to: {kind: file, name: ${secretFile}}
    send: password
    recv: content
`,
  );
}

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** A changed file, a converged file and a file to be created. */
async function threeFiles(dir: string): Promise<{ graph: string; changed: string; same: string; created: string }> {
  const [changed, same, created] = ['changed', 'same', 'created'].map((name) => join(dir, name)) as [string, string, string];
  await writeFile(changed, 'port = 80\nhost = a\n');
  await writeFile(same, 'unchanged\n');
  const graph = await writeGraph(
    dir,
    'graph.yaml',
    `graph: dry
resources:
  file:
    - name: ${changed}
      content: "port = 8080\\nhost = a\\n"
    - name: ${same}
      content: "unchanged\\n"
    - name: ${created}
      state: exists
      content: "new\\n"
      mode: "0664"
`,
  );
  return { graph, changed, same, created };
}

describe('converge run --noop', () => {
  it('fails a file whose folder no resource makes though its content comes from a password that would change, as the real run does (QA: counted as would change after the password, exit 0)', async () => {
    const dir = await makeTempDir();
    const secretFile = join(dir, 'nowhere', 'db.secret');
    const graph = await passwordIntoFile(dir, secretFile, { password: 'length: 16', file: 'mode: "0600"' });
    for (const flags of [['--noop'], []]) {
      const result = await runCli(['run', ...ONCE, ...flags, graph]);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stdout).toContain(`failed: file[${secretFile}]: `);
      expect(result.stdout + result.stderr).not.toContain('would change after password[db]');
    }
  });

  it('prints a diff per resource that would change, and changes nothing', async () => {
    const dir = await makeTempDir();
    const { graph, changed, same, created } = await threeFiles(dir);
    const before = await stat(changed);

    const result = await runCli(['run', ...ONCE, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      [`file[${changed}] would change:`, `--- ${changed}\tcurrent`, `+++ ${changed}\twanted`, '@@ -1,2 +1,2 @@', '-port = 80', '+port = 8080', ' host = a'].join('\n'),
    );
    expect(result.stdout).toContain([`file[${created}] would change:`, `create file ${created}`, '--- /dev/null'].join('\n'));
    expect(result.stdout).toContain('+new\nmode 0664\n');
    expect(result.stdout).not.toContain(`file[${same}] would change`);
    expect(await readFile(changed, 'utf8')).toBe('port = 80\nhost = a\n');
    expect((await stat(changed)).mtimeMs).toBe(before.mtimeMs);
    await expect(stat(created)).rejects.toThrow(/ENOENT/);
  });

  it('prints the diff of a resource with meta: {noop: true} in a normal run, and applies the others', async () => {
    const dir = await makeTempDir();
    const [held, applied] = [join(dir, 'held'), join(dir, 'applied')];
    await writeFile(held, 'old\n');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: partly\nresources:\n  file:\n    - name: ${held}\n      content: "new\\n"\n      meta: {noop: true}\n    - name: ${applied}\n      state: exists\n      content: "x\\n"\n`,
    );

    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain([`file[${held}] would change:`, `--- ${held}\tcurrent`].join('\n'));
    expect(await readFile(held, 'utf8')).toBe('old\n');
    expect(await readFile(applied, 'utf8')).toBe('x\n');
  });

  it('writes each diff as a JSON log line with --log-json', async () => {
    const dir = await makeTempDir();
    const { graph, changed, same } = await threeFiles(dir);

    const result = await runCli(['run', ...ONCE, '--noop', '--log-json', graph]);

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const diffs = lines.filter((line) => typeof line['diff'] === 'string');
    expect(diffs.map((line) => line['resource']).sort()).toEqual([`file[${changed}]`, `file[${join(dir, 'created')}]`].sort());
    const changedDiff = diffs.find((line) => line['resource'] === `file[${changed}]`);
    expect(changedDiff?.['msg']).toBe('would change (noop)');
    expect(changedDiff?.['diff']).toContain('-port = 80\n+port = 8080');
    expect(diffs.some((line) => line['resource'] === `file[${same}]`)).toBe(false);
    expect(await readFile(changed, 'utf8')).toBe('port = 80\nhost = a\n');
  });

  it('prints each diff once, though a missing directory is checked again for each file in it', async () => {
    const dir = await makeTempDir();
    const sub = join(dir, 'sub');
    const files = ['f1', 'f2', 'f3'].map((name) => join(sub, name));
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: dry\nresources:\n  file:\n  - {name: ${sub}/, state: exists}\n${files.map((file) => `  - {name: ${file}, state: exists, content: x}\n`).join('')}`,
    );

    const result = await runCli(['run', ...ONCE, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    const count = (text: string): number => result.stdout.split(text).length - 1;
    expect(count(`file[${sub}/] would change:\ncreate directory ${sub}\n`)).toBe(1);
    expect(count(`would change: file[${sub}/]\n`)).toBe(1);
    for (const file of files) {
      expect(count(`file[${file}] would change:\n`), file).toBe(1);
      expect(count(`would change: file[${file}]\n`), file).toBe(1);
    }
    await expect(stat(sub)).rejects.toThrow(/ENOENT/);
  });

  it('prints a diff once, though every event of a resource after it checks it again', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const children = ['a', 'b', 'c'];
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: dry
resources:
  drift:
    - name: parent
${children.map((name) => `    - {name: ${name}, events: 3}\n`).join('')}edges:
${children.map((name) => `  - {from: {kind: drift, name: parent}, to: {kind: drift, name: ${name}}}\n`).join('')}`,
    );

    // A second without events ends the run.
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=1', '--converged-exit', '--noop', '--plugin', plugin, graph]);

    expect(result.code, result.stderr).toBe(0);
    for (const name of ['parent', ...children]) {
      expect(result.stdout.split(`drift[${name}] would change:\nwould set ${name} right\n`).length - 1, name).toBe(1);
      expect(result.stdout.split(`would change: drift[${name}]\n`).length - 1, name).toBe(1);
      // The log says it once too.
      expect(result.stderr.split(`drift[${name}]: would change (noop)`).length - 1, name).toBe(1);
    }
  });

  it('prints a diff again when an edit of the graph replaces the resource', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'target');
    const text = (extra: string): string => `graph: dry\nresources:\n  file:\n  - {name: ${target}, state: exists, content: x${extra}}\n`;
    const graph = await writeGraph(dir, 'graph.yaml', text(''));
    const cli = startCli(['run', '--tmp-prefix', '--noop', graph]);
    const header = `file[${target}] would change:\ncreate file ${target}\n`;
    const printed = (): number => cli.stdout.split(header).length - 1;
    await cli.waitFor(/would change: file\[/);
    expect(printed()).toBe(1);

    // Same params, another metaparam: a new resource, with the same diff.
    await writeFile(graph, text(', meta: {retry: 1}'));
    await cli.waitFor(/reloaded /);
    await expect.poll(printed).toBe(2);
    expect(cli.stdout.split(`would change: file[${target}]\n`).length - 1).toBe(2);

    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
    expect(printed()).toBe(2);
  });

  it('follows a new diff (drift while it runs) with its status line again (QA: the second diff had none)', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'target');
    await writeFile(target, 'first\n');
    const graph = await writeGraph(dir, 'graph.yaml', `graph: dry\nresources:\n  file:\n  - {name: ${target}, state: exists, content: "wanted\\n"}\n`);
    const cli = startCli(['run', '--tmp-prefix', '--noop', graph]);
    const statusLines = (): number => cli.stdout.split(`would change: file[${target}]\n`).length - 1;
    await cli.waitFor(/would change: file\[/);
    expect(statusLines()).toBe(1);
    // One drift, renamed into place: writeFile truncates first, and the empty file between is a diff (and a status line) of its own.
    await writeFile(`${target}.new`, 'second\n');
    await rename(`${target}.new`, target);
    await expect.poll(() => cli.stdout.includes('+wanted') && cli.stdout.split('-second').length === 2).toBe(true);
    await expect.poll(statusLines).toBe(2);
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('never shows a received password; says nothing of it when the same, and that it differs when not (QA: told alike after a chmod, with or without a content change)', async () => {
    const dir = await makeTempDir();
    const prefix = join(dir, 'state');
    const secretFile = join(dir, 'db.secret');
    const graph = await passwordIntoFile(dir, secretFile, { password: 'length: 24\n      saved: true', file: 'mode: "0600"' });
    // A real run saves the password and writes it; then the file's mode drifts, and then its content.
    const applied = await runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', graph]);
    expect(applied.code, applied.stderr).toBe(0);
    const secret = await readFile(secretFile, 'utf8');
    expect(secret).toMatch(/^[A-Za-z0-9]{24}$/);
    const dryRun = (): ReturnType<typeof runCli> => runCli(['run', '--prefix', prefix, '--converger-timeout=0', '--converged-exit', '--noop', graph]);
    await chmod(secretFile, 0o640);

    const modeOnly = await dryRun();

    expect(modeOnly.code, modeOnly.stderr).toBe(0);
    expect(modeOnly.stdout).toContain(`file[${secretFile}] would change:\nmode 0640 -> 0600\n`);
    expect(modeOnly.stdout).not.toContain('content');

    await writeFile(secretFile, 'drifted\n');
    const both = await dryRun();

    expect(both.code, both.stderr).toBe(0);
    // The password is saved: the dry run holds the value the real run would write, so it can tell that it differs.
    expect(both.stdout).toContain(`file[${secretFile}] would change:\ncontent differs (not shown: received from another resource)\nmode 0640 -> 0600\n`);
    expect(both.stdout + both.stderr).not.toContain(secret);
    expect(both.stdout).not.toContain('drifted');
    expect(await readFile(secretFile, 'utf8')).toBe('drifted\n');
  });

  it('tells that a file whose content is received would be created, and its mode, but not the content', async () => {
    const dir = await makeTempDir();
    const secretFile = join(dir, 'new.secret');
    const graph = await passwordIntoFile(dir, secretFile, { password: 'length: 20', file: 'mode: "0600"\n      content: "PLACEHOLDER\\n"' });

    const result = await runCli(['run', ...ONCE, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`file[${secretFile}] would change:\ncreate file ${secretFile}\n(not shown: content received from another resource)\nmode 0600\n`);
    expect(result.stdout + result.stderr).not.toContain('PLACEHOLDER');
    expect(existsSync(secretFile)).toBe(false);
  });

  it('shows no diff for a param an edge fills, though a dry run sends nothing into it', async () => {
    const dir = await makeTempDir();
    const secretFile = join(dir, 'db.secret');
    // An earlier password in the file (readable by all, so only the receiving edge hides it).
    await writeFile(secretFile, 'OLDSECRET12345\n');
    const graph = await passwordIntoFile(dir, secretFile, { password: 'length: 20', file: 'content: "CHANGEME\\n"' });

    const result = await runCli(['run', ...ONCE, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`file[${secretFile}] would change:\n(not shown: content received from another resource)\n`);
    expect(result.stdout + result.stderr).not.toContain('OLDSECRET');
    expect(result.stdout).not.toContain('CHANGEME');
  });

  it('says a notified command and a receiver of a value not made yet would change, as a real run would change them', async () => {
    const dir = await makeTempDir();
    const conf = join(dir, 'app.conf');
    const secretFile = join(dir, 'db.secret');
    await Promise.all([writeFile(conf, 'port = 80\n'), writeFile(secretFile, 'an earlier password\n')]);
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: downstream
resources:
  exec:
    - {name: restart, cmd: /bin/true, refreshonly: true}
  password:
    - {name: db, length: 20}
  file:
    - {name: ${conf}, state: exists, content: "port = 8080\\n"}
    - {name: ${secretFile}, state: exists}
edges:
  - {from: {kind: file, name: ${conf}}, to: {kind: exec, name: restart}, notify: true}
  - {from: {kind: password, name: db}, to: {kind: file, name: ${secretFile}}, send: password, recv: content}
`,
    );

    const result = await runCli(['run', ...ONCE, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('would change: exec[restart]\n');
    expect(result.stdout).toContain(`file[${secretFile}] would change:\n(not shown: content received from another resource)\n`);
    expect(await readFile(secretFile, 'utf8')).toBe('an earlier password\n');
  });

  it('answers a dry run as the real run would with the refresh a change would bring: a rotated password and what it reaches would change, a guarded command would not (QA)', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const rotation = join(dir, 'rotation');
    const secretFile = join(dir, 'db.secret');
    const marker = join(dir, 'already-done');
    const ran = join(dir, 'ran');
    await writeFile(marker, '');
    const graphText = (round: string): string => `graph: rotate
resources:
  file:
    - {name: ${rotation}, state: exists, content: "${round}\\n"}
    - {name: ${secretFile}, state: exists, mode: "0600"}
  password:
    - {name: db, length: 20, saved: true}
  exec:
    - {name: reload-db, cmd: "echo reload >> ${ran}", shell: /bin/sh, refreshonly: true}
    - {name: guarded, cmd: "echo guarded >> ${ran}", shell: /bin/sh, refreshonly: true, creates: ${marker}}
edges:
  - {from: {kind: file, name: ${rotation}}, to: {kind: password, name: db}, notify: true}
  - {from: {kind: file, name: ${rotation}}, to: {kind: exec, name: guarded}, notify: true}
  - {from: {kind: password, name: db}, to: {kind: file, name: ${secretFile}}, send: password, recv: content}
  - {from: {kind: file, name: ${secretFile}}, to: {kind: exec, name: reload-db}, notify: true}
`;
    const graph = await writeGraph(dir, 'graph.yaml', graphText('1'));
    const setUp = await runCli(['run', ...onceWithState(state), graph]);
    expect(setUp.code, setUp.stderr).toBe(0);
    const first = await readFile(secretFile, 'utf8');
    await writeFile(ran, '');
    await writeFile(graph, graphText('2'));

    const dry = await runCli(['run', ...onceWithState(state), '--noop', graph]);
    expect(dry.code, dry.stderr).toBe(0);
    for (const id of [`file[${rotation}]`, 'password[db]', `file[${secretFile}]`, 'exec[reload-db]']) expect(dry.stdout).toContain(`would change: ${id}\n`);
    expect(dry.stdout).toContain('password[db] would change:\ngenerate a new password of 20 characters (refresh requested)');
    expect(dry.stdout).toContain('converged: exec[guarded]\n');
    expect(await readFile(secretFile, 'utf8')).toBe(first);
    expect(await readFile(ran, 'utf8')).toBe('');

    // The real run does what the dry run said, and nothing else.
    const real = await runCli(['run', ...onceWithState(state), graph]);
    for (const id of [`file[${rotation}]`, 'password[db]', `file[${secretFile}]`, 'exec[reload-db]']) expect(real.stdout).toContain(`changed: ${id}\n`);
    expect(real.stdout).toContain('converged: exec[guarded]\n');
    expect(await readFile(secretFile, 'utf8')).not.toBe(first);
    expect(await readFile(ran, 'utf8')).toBe('reload\n');
  });

  it('says a receiver would not change when its sender would only fix something and keep the value it sends', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const secretFile = join(dir, 'db.secret');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: kept
resources:
  password:
    - {name: db, length: 20, saved: true}
  file:
    - {name: ${secretFile}, state: exists, mode: "0600"}
edges:
  - {from: {kind: password, name: db}, to: {kind: file, name: ${secretFile}}, send: password, recv: content}
`,
    );
    const flags = onceWithState(state);
    expect((await runCli(['run', ...flags, graph])).code).toBe(0);
    // Only the saved password file's mode drifts: a real run fixes the mode and keeps the password.
    const [saved] = (await readdir(state, { recursive: true })).filter((entry) => /db-[^/]+\/password$/.test(entry));
    if (saved === undefined) throw new Error('no saved password');
    await chmod(join(state, saved), 0o644);

    const result = await runCli(['run', ...flags, '--noop', graph]);

    expect(result.code, result.stderr).toBe(0);
    // Setting the mode back is housekeeping of the password's own state, not a change of it: said, not counted.
    expect(result.stderr).toContain('would restore mode 0600 of the saved password file (now 0644)');
    expect(result.stdout).toContain('converged: password[db]\n');
    expect(result.stdout).not.toContain(`file[${secretFile}] would change`);
    expect(result.stdout).toContain(`converged: file[${secretFile}]\n`);
  });
});
