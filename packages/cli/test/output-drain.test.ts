import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup } from './support/process-groups.js';

const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) killGroup(pgid);
});

const DRAIN = new URL('../dist/output-drain.js', import.meta.url).href;
const STALL_MS = 500;

/**
 * A node process that writes 64 lines of 4 KiB on stdout (each a write of
 * its own, as a run's lines are: far more than a pipe holds), piped to
 * `reader` (a shell command), then waits with drainOutput and tells on
 * stderr what it found.
 */
function drainThrough(reader: string): Promise<{ stalled: number; ms: number; left: number }> {
  const writer = [
    `const { drainOutput } = await import(${JSON.stringify(DRAIN)});`,
    // As converge does (closed-output.ts): a reader that went away destroys the stream, quietly.
    "process.stdout.on('error', () => {});",
    "for (let i = 0; i < 64; i++) process.stdout.write('x'.repeat(4095) + '\\n');",
    'const start = Date.now();',
    `const stalled = await drainOutput([process.stdout], ${STALL_MS});`,
    "process.stderr.write(JSON.stringify({ stalled: stalled.length, ms: Date.now() - start, left: process.stdout.writableLength }) + '\\n');",
    'process.exit(0);',
  ].join('\n');
  const child = spawn('bash', ['-c', `"$0" --input-type=module -e "$1" | (${reader})`, process.execPath, writer], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  if (child.pid !== undefined) groups.push(child.pid);
  let told = '';
  // Not at the pipeline's end: a reader that never reads outlives the writer.
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      told += chunk;
      if (told.endsWith('\n')) resolve(JSON.parse(told) as { stalled: number; ms: number; left: number });
    });
    child.on('exit', () => reject(new Error(`the writer said: ${told}`)));
  });
}

describe('drainOutput, on a real pipe', () => {
  it('gives up on a reader that takes nothing for the stall limit', async () => {
    const result = await drainThrough('exec sleep 30');

    expect(result.stalled).toBe(1);
    expect(result.left).toBeGreaterThan(0);
    expect(result.ms).toBeGreaterThanOrEqual(STALL_MS);
    expect(result.ms).toBeLessThan(STALL_MS + 1000);
  });

  it('waits past the stall limit for a reader that keeps taking output, a little at a time', async () => {
    // 4 KiB every 50 ms or so: 256 KiB take seconds, far more than the stall limit, with no pause as long.
    const result = await drainThrough('while [ -n "$(dd bs=4096 count=1 status=none)" ]; do sleep 0.05; done');

    expect(result).toMatchObject({ stalled: 0, left: 0 });
    expect(result.ms).toBeGreaterThan(2 * STALL_MS);
  });

  it('waits for a reader that starts reading late, as long as it starts within the stall limit', async () => {
    const result = await drainThrough(`sleep ${(STALL_MS * 0.6) / 1000}; exec cat >/dev/null`);

    expect(result).toMatchObject({ stalled: 0, left: 0 });
  });

  it('does not wait for a reader that has gone', async () => {
    const result = await drainThrough('exec true');

    expect(result).toMatchObject({ stalled: 0 });
    expect(result.ms).toBeLessThan(STALL_MS);
  });
});
