import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineOf, ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// A password sent into a file's content is masked in every line converge
// writes; a file that every user can read would give it away all the same
// (QA: made 0644 with no word). mgmt writes it so too: a warning, not a refusal.

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** A password sent into three files: one with no mode, one readable by its group, one private. */
function graphOf(dir: string): string {
  const edge = (file: string): string => `- from: {kind: password, name: pw}
  to: {kind: file, name: ${join(dir, file)}}
  send: password
  recv: content
`;
  return `graph: secret-mode
resources:
  password:
  - name: pw
  file:
  - name: ${join(dir, 'open')}
    state: exists
  - name: ${join(dir, 'group')}
    state: exists
    mode: "0640"
  - name: ${join(dir, 'private')}
    state: exists
    mode: "0600"
edges:
${edge('open')}${edge('group')}${edge('private')}`;
}

describe('a secret sent into the content of a file others may read', () => {
  it('is a load warning at the edge (no mode) or at the mode, with the hint mode: "0600"; validate exits 0', async () => {
    const dir = await makeTempDir();
    const text = graphOf(dir);
    const graph = await writeGraph(dir, 'graph.yaml', text);

    const result = await runCli(['validate', graph]);

    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => line.includes(': warning: '));
    const openEdge = lineOf(text, `to: {kind: file, name: ${join(dir, 'open')}}`) - 1;
    expect(warnings).toEqual([
      expect.stringContaining(`graph.yaml:${lineOf(text, 'mode: "0640"')}:`),
      expect.stringContaining(`graph.yaml:${openEdge}:`),
    ]);
    expect(warnings[0]).toContain(`warning: file[${join(dir, 'group')}]: param 'mode': grants read to group, and the file receives a secret in its content`);
    expect(warnings[1]).toContain(`warning: file[${join(dir, 'open')}]: param 'content': receives a secret, and with no mode the file is readable by every user`);
    expect(result.stderr).toContain('hint: set mode: "0600"');
  });

  it('is told by run too, which makes the files as their modes say, and no line shows the secret', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', graphOf(dir));

    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: file[${join(dir, 'open')}]: param 'content': receives a secret`);
    // What the warning says: no mode, 0666 less the umask (this process's, which the run inherited).
    expect((await stat(join(dir, 'open'))).mode & 0o777).toBe(0o666 & ~process.umask());
    expect((await stat(join(dir, 'group'))).mode & 0o777).toBe(0o640);
    expect((await stat(join(dir, 'private'))).mode & 0o777).toBe(0o600);
    const secret = await readFile(join(dir, 'private'), 'utf8');
    expect(secret.length).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'open'), 'utf8')).toBe(secret);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});
