import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dyingWithParent, onPath } from '../src/dies-with-parent.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
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
      import { dyingWithParent } from ${JSON.stringify(module)};
      const [command, ...args] = dyingWithParent(['sleep', '86399.5']);
      const child = spawn(command, args, { stdio: 'ignore' });
      child.on('spawn', () => console.log(child.pid));
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: parent.stdout }), 'line')) as [string];
    const helper = Number(line);
    expect(isAlive(helper)).toBe(true);
    parent.kill('SIGKILL');
    await once(parent, 'close');
    for (let waited = 0; waited < 2_000 && isAlive(helper); waited += 20) await sleep(20);
    expect(isAlive(helper)).toBe(false);
  });

  it('finds a program on PATH, and says when it is not there', () => {
    expect(onPath('sh')).toMatch(/\/sh$/);
    expect(onPath('no-such-program-anywhere')).toBeUndefined();
  });
});
