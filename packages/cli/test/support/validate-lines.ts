import { expect } from 'vitest';
import { writeGraph } from './graphs.js';
import { runCli } from './run-cli.js';
import { makeTempDir } from './temp-dir.js';

/** `converge validate` of `text` written as `name`: its exit code and stderr's lines, the folder taken off the file's path. */
export async function validateLines(name: string, text: string): Promise<{ code: number | null; lines: string[] }> {
  const dir = await makeTempDir();
  const file = await writeGraph(dir, name, text);
  const result = await runCli(['validate', file]);
  expect(result.stdout).toBe('');
  return { code: result.code, lines: result.stderr.split(file).join(name).trim().split('\n') };
}
