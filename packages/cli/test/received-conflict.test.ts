import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineOf, ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** A file written first, then a password sent into the content of a file that is to be absent: no value could ever go there. */
function conflictGraph(dir: string): string {
  return `graph: received-conflict
resources:
  file:
  - name: ${join(dir, 'first')}
    state: exists
    content: "first\\n"
  - name: ${join(dir, 'gone')}
    state: absent
  password:
  - name: pw
edges:
- from: {kind: file, name: ${join(dir, 'first')}}
  to: {kind: password, name: pw}
- from: {kind: password, name: pw}
  to: {kind: file, name: ${join(dir, 'gone')}}
  send: password
  recv: content
`;
}

describe('a param received into a resource whose other params leave it no room', () => {
  it('makes validate exit 2 at the edge, naming the param it conflicts with and what to do', async () => {
    const dir = await makeTempDir();
    const text = conflictGraph(dir);
    const graph = await writeGraph(dir, 'graph.yaml', text);

    const result = await runCli(['validate', graph]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const edgeLine = lineOf(text, '- from: {kind: password');
    expect(result.stderr).toContain(`graph.yaml:${edgeLine}:`);
    expect(result.stderr).toContain(`param 'content' is received from password[pw] ('password') but conflicts with 'state' (at ${graph}:${lineOf(text, 'state: absent')})`);
    expect(result.stderr).toContain("hint: change or leave out 'state'");
    expect(result.stderr).toContain('nothing was applied');
  });

  it('makes run exit 2 before anything is applied', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'graph.yaml', conflictGraph(dir));

    const result = await runCli(['run', ...ONCE, graph]);

    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("conflicts with 'state'");
    // The file that would have come first (before the failure at run time) is not made.
    await expect(access(join(dir, 'first'))).rejects.toThrow();
  });
});
