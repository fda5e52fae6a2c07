import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dyingWithParent, onPath } from '../src/dies-with-parent.js';

/** Running: a zombie (ended, not yet reaped by whoever adopted it) counts as ended. */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('a helper process started with dyingWithParent', () => {
  it('ends when the process that started it is killed with SIGKILL (QA: virsh event outlived a kill -9)', async () => {
    const module = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'dies-with-parent.js')).href;
    // A parent that starts `sleep` as domain-watch starts virsh, prints its pid, and waits (an odd duration: no other process's cleanup matches it).
    const parentScript = `
      import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
      import { dyingWithParent } from ${JSON.stringify(module)};
      const [command, ...args] = dyingWithParent(['sleep', '86399.5']);
      const child = spawn(command, args, { stdio: 'ignore' });
      child.on('spawn', () => console.log('helper pid ' + child.pid));
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Its line, among any other output the environment makes the parent write (NODE_OPTIONS).
    let helper = Number.NaN;
    const lines: string[] = [];
    try {
      for await (const line of createInterface({ input: parent.stdout })) {
        lines.push(line);
        const found = /^helper pid (\d+)$/.exec(line);
        if (found) {
          helper = Number(found[1]);
          break;
        }
      }
      expect(isAlive(helper), lines.join('\n')).toBe(true);
    } catch (error) {
      parent.kill('SIGKILL');
      throw error;
    }
    parent.kill('SIGKILL');
    await once(parent, 'close');
    for (let waited = 0; waited < 2_000 && isAlive(helper); waited += 20) await sleep(20);
    const outlived = isAlive(helper);
    // Not left behind when the test fails.
    if (outlived) process.kill(helper, 'SIGKILL');
    expect(outlived).toBe(false);
  });

  it('finds a program on PATH, and says when it is not there', () => {
    expect(onPath('sh')).toMatch(/\/sh$/);
    expect(onPath('no-such-program-anywhere')).toBeUndefined();
  });
});
