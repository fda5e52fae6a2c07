import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(removeTempDirs);

describe('meta: {reverse: true} across runs', () => {
  it('reverses on the next run even when that graph no longer uses the kind (the plugin is loaded for it)', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const existing = join(dir, 'existing');
    const created = join(dir, 'created');
    await writeFile(existing, 'before\n');
    const withFiles = await writeGraph(
      dir,
      'files.yaml',
      `graph: files\nresources:\n  file:\n  - name: ${existing}\n    content: "managed\\n"\n    meta: {reverse: true}\n  - name: ${created}\n    state: exists\n    content: "new\\n"\n    meta: {reverse: true}\n`,
    );
    const first = await runCli(['run', '--converger-timeout=0', '--converged-exit', '--prefix', state, withFiles]);
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(existing, 'utf8')).toBe('managed\n');

    // The next graph has no file at all: only noops.
    const noopsOnly = await writeGraph(dir, 'noops.yaml', 'graph: other\nresources:\n  noop:\n  - name: just-this\n');
    const second = await runCli(['run', '--converger-timeout=0', '--converged-exit', '--prefix', state, noopsOnly]);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(existing, 'utf8')).toBe('before\n');
    expect(existsSync(created)).toBe(false);
    expect(second.stderr).not.toContain('kept the reversal for later');
  });
});
