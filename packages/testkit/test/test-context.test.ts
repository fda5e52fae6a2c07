import { readdir, rm, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../src/index.js';

describe('createTestContext', () => {
  it('counts events and resolves waitForEvent on the next one', async () => {
    const harness = createTestContext({ kind: 'k', name: 'n' });
    harness.ctx.event();
    expect(harness.events()).toBe(1);
    const waiting = harness.waitForEvent(1000);
    setTimeout(() => harness.ctx.event(), 20);
    await waiting;
    expect(harness.events()).toBe(2);
  });

  it('records the values declared with ctx.secret', () => {
    const harness = createTestContext();
    harness.ctx.secret?.('s3cret');
    expect(harness.secrets()).toEqual(['s3cret']);
  });

  it('rejects waitForEvent with a clear error when no event comes', async () => {
    const harness = createTestContext({ kind: 'k', name: 'n' });
    harness.ctx.event(); // an event before the wait does not count
    await expect(harness.waitForEvent(50)).rejects.toThrow(/k\[n\]: no ctx.event\(\) call within 50 ms/);
  });

  it('makes a real var dir with mode 0700, and sub folders in it', async () => {
    const harness = createTestContext({ kind: 'k', name: 'n' });
    const dir = await harness.ctx.varDir();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await harness.ctx.varDir()).toBe(dir);
    const sub = await harness.ctx.varDir('cache');
    expect(sub).toBe(join(dir, 'cache'));
    expect((await stat(sub)).mode & 0o777).toBe(0o700);
    await expect(harness.ctx.varDir('../x')).rejects.toThrow(/bad folder name/);
    await harness.dispose();
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the var dir across contexts given the same parent, and leaves it on dispose', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'testkit-var-'));
    try {
      const first = createTestContext({ kind: 'password', name: 'db/main', varDir: parent });
      const second = createTestContext({ kind: 'password', name: 'db/main', varDir: parent });
      const dir = await first.ctx.varDir();
      expect(await second.ctx.varDir()).toBe(dir);
      expect(dir.startsWith(parent)).toBe(true);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await first.dispose();
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('merges sent values, answers refresh and recv as set, and records logs', () => {
    const harness = createTestContext<{ path: string }, { a: number; b: string }>({ kind: 'k', name: 'n' });
    harness.ctx.send({ a: 1 });
    harness.ctx.send({ b: 'x' });
    harness.ctx.send({ a: 2 });
    expect(harness.sent()).toEqual({ a: 2, b: 'x' });
    expect(harness.ctx.refresh()).toBe(false);
    harness.setRefresh(true);
    expect(harness.ctx.refresh()).toBe(true);
    harness.setReceived({ path: { changed: true } });
    expect(harness.ctx.recv().get('path')).toEqual({ changed: true });
    harness.ctx.log.warn('careful', { tries: 2 });
    expect(harness.logs()).toEqual([{ level: 'warn', message: 'careful', fields: { tries: 2 } }]);
    expect(harness.ctx.id).toBe('k[n]');
  });

  it('has an in-memory world whose watch starts with the existing keys', async () => {
    const harness = createTestContext({ hostname: 'h1' });
    const world = harness.ctx.world;
    expect(world.hostname).toBe('h1');
    await world.set('app/a', '1');
    const controller = new AbortController();
    const batches = world.watch('app/', controller.signal)[Symbol.asyncIterator]();
    expect((await batches.next()).value).toEqual([{ key: 'app/a', value: '1' }]);
    const next = batches.next();
    await world.set('app/b', '2');
    expect((await next).value).toEqual([{ key: 'app/b', value: '2' }]);
    controller.abort();
    expect((await batches.next()).done).toBe(true);
    expect(await world.get('app/b')).toBe('2');
  });
});
