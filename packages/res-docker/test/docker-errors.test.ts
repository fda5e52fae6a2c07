import { describe, expect, it } from 'vitest';
import { exitedAtOnce } from '../src/docker-errors.js';

const site = { resource: 'docker:container[web]', phase: 'checkApply' as const };

describe('a container that is not running right after converge started it', () => {
  it('is told as paused or removed by another client, not as a command that ended (QA: "give it a command that keeps running")', () => {
    const paused = exitedAtOnce(site, 'web', 'paused', 0, '', '');
    expect(paused.message).toBe('container web was paused by another client right after converge started it');
    expect(paused.hint).toContain('starts it again at its next check');
    expect(exitedAtOnce(site, 'web', 'removing', 137, '', '').message).toBe('container web was removed by another client right after converge started it');
  });

  it('is told as killed by a signal when it exited with 128 + SIGKILL or SIGTERM (QA: docker kill got the advice for a command that ends)', () => {
    const killed = exitedAtOnce(site, 'web', 'exited', 137, '', '');
    expect(killed.message).toBe('container web was killed by SIGKILL right after starting (exit code 137); it wrote no output');
    expect(killed.hint).toContain('docker kill');
    expect(exitedAtOnce(site, 'web', 'exited', 143, '', '').message).toContain('was killed by SIGTERM');
  });

  it('is told as a command that ended when it exited, with its output', () => {
    const exited = exitedAtOnce(site, 'web', 'exited', 3, '', 'no config found');
    expect(exited.message).toBe('container web exited right after starting (exit code 3); its last output: "no config found"');
    expect(exited.hint).toContain('a command that keeps running');
  });
});
