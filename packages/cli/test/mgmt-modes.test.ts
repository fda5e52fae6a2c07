import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('file modes written as mgmt graphs write them', () => {
  it('reads an unquoted mode as octal digits, with or without a leading zero (QA: mode: 400 gave 0620, mode: 644 was refused)', async () => {
    const dir = await makeTempDir();
    const written = ['400', '644', '0640', '0o750', '"0600"', '755', '1777'] as const;
    const wanted = [0o400, 0o644, 0o640, 0o750, 0o600, 0o755, 0o1777];
    const graph = await writeGraph(
      dir,
      'modes.yaml',
      `graph: modes\nresources:\n  file:\n${written.map((mode, index) => `  - name: ${join(dir, `f${index}`)}\n    state: exists\n    content: "x\\n"\n    mode: ${mode}\n`).join('')}`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    const modes = await Promise.all(written.map(async (_mode, index) => (await stat(join(dir, `f${index}`))).mode & 0o7777));
    expect(modes.map((mode) => mode.toString(8))).toEqual(wanted.map((mode) => mode.toString(8)));
  });

  it('refuses an unquoted mode with the digits 8 or 9 at its line, and applies nothing', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'bad.yaml', `graph: bad\nresources:\n  file:\n  - name: ${join(dir, 'ok')}\n    state: exists\n  - name: ${join(dir, 'f')}\n    state: exists\n    mode: 488\n`);
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`bad.yaml:8:11: file[${join(dir, 'f')}]: param 'mode': 488 is not an octal mode`);
    await expect(stat(join(dir, 'ok'))).rejects.toThrow();
  });
});
