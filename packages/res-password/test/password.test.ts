import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { generatePassword, PASSWORD_ALPHABET, passwordResource } from '../src/index.js';
import { livePassword, type LivePassword } from './harness.js';
import { passwordFilePath, writeSavedPassword } from '../src/password-file.js';

const WELL_FORMED = /^[A-Za-z0-9]+$/;

let varDir: string;
const live: LivePassword[] = [];
beforeEach(async () => {
  varDir = await mkdtemp(join(tmpdir(), 'res-password-'));
});
afterEach(async () => {
  for (const item of live.splice(0)) await item.instance.cleanup?.();
  await rm(varDir, { recursive: true, force: true });
});

async function make(params: Parameters<typeof livePassword>[0], name = 'db'): Promise<LivePassword> {
  const item = await livePassword(params, varDir, name);
  live.push(item);
  return item;
}

/** Everything the resource logged, as one string, to search for secrets. */
function allLogs(...items: LivePassword[]): string {
  return JSON.stringify(items.flatMap((item) => item.harness.logs()));
}

describe('password', () => {
  it('is a plugin providing the password kind', () => {
    expect(plugin.name).toBe('@converge/res-password');
    expect(plugin.resources.map((definition) => definition.kind)).toEqual(['password']);
  });

  it('generates a password of the asked length, 64 by default, and converges in one apply', async () => {
    const short = await runCase(passwordResource, { name: 'short', params: { length: 32 }, expect: 'diverged' });
    expect(short.sent.password).toMatch(WELL_FORMED);
    expect(String(short.sent.password)).toHaveLength(32);
    const byDefault = await runCase(passwordResource, { name: 'default', params: {}, expect: 'diverged' });
    expect(String(byDefault.sent.password)).toHaveLength(64);
    expect(byDefault.sent.password).not.toBe(short.sent.password);
  });

  it('rejects a length out of range', async () => {
    await expect(runCase(passwordResource, { name: 'x', params: { length: 0 }, expect: 'diverged' })).rejects.toThrow(
      /length: Expected integer to be greater or equal to 1/,
    );
  });

  it('draws every character of the alphabet and nothing else', () => {
    const seen = new Set(generatePassword(PASSWORD_ALPHABET.length * 100));
    expect([...seen].sort().join('')).toBe([...PASSWORD_ALPHABET].sort().join(''));
  });

  it('saved: keeps the password in the var dir (mode 0600) and a new instance sends the same one', async () => {
    const first = await make({ saved: true, length: 20 });
    expect(await first.check(false)).toBe(false);
    expect(first.harness.sent()).toEqual({}); // a noop check sends nothing it has not got
    expect(await first.check(true)).toBe(false);
    expect(await first.check(true)).toBe(true);
    const password = first.password();

    const dir = await first.harness.ctx.varDir();
    expect(await readdir(dir)).toEqual(['password']);
    expect(await readFile(join(dir, 'password'), 'utf8')).toBe(`${password}\n`);
    expect((await stat(join(dir, 'password'))).mode & 0o777).toBe(0o600);

    const second = await make({ saved: true, length: 20 });
    expect(await second.check(false)).toBe(true);
    expect(second.password()).toBe(password);
  });

  it('saved: restores mode 0600 without changing the password, as housekeeping: the check is converged (QA: a chmod fired notify edges)', async () => {
    const item = await make({ saved: true });
    await item.check(true);
    const password = item.password();
    const file = join(await item.harness.ctx.varDir(), 'password');
    await chmod(file, 0o644);
    // A dry run leaves the mode, says it would put it back, and has nothing to change.
    expect(await item.check(false)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await item.instance.describeChange?.(new AbortController().signal)).toBeUndefined();
    expect(item.harness.logs()).toContainEqual(expect.objectContaining({ level: 'info', message: 'would restore mode 0600 of the saved password file (now 0644)' }));
    expect(item.password()).toBe(password);
    expect(await item.check(true)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(item.harness.logs()).toContainEqual(expect.objectContaining({ level: 'info', message: 'restored mode 0600 of the saved password file' }));
    expect(item.harness.logs().filter((entry) => entry.level === 'warn')).toEqual([]);
    expect(item.password()).toBe(password);
    expect(allLogs(item)).not.toContain(password);
  });

  it('says in a dry run what it would do, never the password (QA: a dry run said only "would change")', async () => {
    const saved = await make({ saved: true, length: 20 });
    expect(await saved.check(false)).toBe(false);
    expect(await saved.instance.describeChange?.(new AbortController().signal)).toMatch(/^generate a new password of 20 characters \(none saved yet\) and save it in \/.*\/password$/);
    await saved.check(true);
    const memory = await make({ saved: false }, 'mem');
    expect(await memory.check(false)).toBe(false);
    expect(await memory.instance.describeChange?.(new AbortController().signal)).toBe('generate a new password of 64 characters (none yet), kept in memory only');
    await memory.check(true);
    expect(await memory.check(false)).toBe(true);
    expect(await memory.instance.describeChange?.(new AbortController().signal)).toBeUndefined();
  });

  it('not saved: writes nothing to disk, and a new instance makes a new password', async () => {
    const first = await make({ saved: false });
    expect(await first.check(true)).toBe(false);
    expect(await first.check(true)).toBe(true);
    const written = await readdir(varDir, { recursive: true, withFileTypes: true });
    expect(written.filter((entry) => !entry.isDirectory())).toEqual([]);

    const second = await make({ saved: false });
    await second.check(true);
    expect(second.password()).not.toBe(first.password());
  });

  it('not saved: removes a password left on disk by an earlier saved run', async () => {
    const before = await make({ saved: true });
    await before.check(true);
    const after = await make({ saved: false });
    expect(await after.check(true)).toBe(false);
    expect(await after.check(true)).toBe(true);
    expect(await readdir(await after.harness.ctx.varDir())).toEqual([]);
    expect(after.password()).not.toBe(before.password());
  });

  it.each([true, false])('a refresh regenerates it (saved: %s)', async (saved) => {
    const item = await make({ saved });
    await item.check(true);
    const old = item.password();
    item.harness.setRefresh(true);
    expect(await item.check(false)).toBe(false);
    expect(item.password()).toBe(old); // noop changes nothing
    expect(await item.check(true)).toBe(false);
    const fresh = item.password();
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(WELL_FORMED);
    item.harness.setRefresh(false);
    expect(await item.check(true)).toBe(true);
    expect(item.password()).toBe(fresh);
    if (saved) expect(await readFile(join(await item.harness.ctx.varDir(), 'password'), 'utf8')).toBe(`${fresh}\n`);
  });

  it('a refresh through runCase regenerates and then converges', async () => {
    const result = await runCase(passwordResource, { name: 'r', params: {}, refresh: true, expect: 'diverged' });
    expect(result.calls.map((call) => call.result)).toEqual([false, false, true]);
  });

  it('fails on an edited saved password without check_recovery, without revealing it', async () => {
    const item = await make({ saved: true, length: 16 });
    await item.check(true);
    const file = join(await item.harness.ctx.varDir(), 'password');
    const edited = 'hunter2-is-my-secret';
    await writeFile(file, edited);
    const failure = await item.check(true).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const text = `${String(failure)} ${JSON.stringify(failure)}`;
    expect(text).toMatch(/failed its integrity check/);
    expect(text).not.toContain(edited);
    expect(text).not.toContain(item.password());
    expect(await readFile(file, 'utf8')).toBe(edited); // left alone for a person to look at
  });

  it('check_recovery: replaces an edited saved password with a new one', async () => {
    const item = await make({ saved: true, length: 16, check_recovery: true });
    await item.check(true);
    const old = item.password();
    const file = join(await item.harness.ctx.varDir(), 'password');
    await writeFile(file, `${old.slice(0, 15)}!\n`);
    expect(await item.check(false)).toBe(false);
    expect(await item.check(true)).toBe(false);
    const fresh = item.password();
    expect(fresh).toMatch(WELL_FORMED);
    expect(fresh).toHaveLength(16);
    expect(await readFile(file, 'utf8')).toBe(`${fresh}\n`);
    expect(await item.check(true)).toBe(true);
    expect(item.harness.logs().some((line) => line.level === 'warn' && /new password/.test(line.message))).toBe(true);
  });

  it('check_recovery: replaces a folder standing where the password file goes', async () => {
    const item = await make({ saved: true, check_recovery: true });
    const file = join(await item.harness.ctx.varDir(), 'password');
    await rm(file, { force: true });
    await mkdir(file);
    expect(await item.check(true)).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(`${item.password()}\n`);
  });

  it('never logs a password', async () => {
    const saved = await make({ saved: true, check_recovery: true }, 'a');
    const memory = await make({ saved: false }, 'b');
    const seen: string[] = [];
    for (const item of [saved, memory]) {
      await item.check(true);
      seen.push(item.password());
      item.harness.setRefresh(true);
      await item.check(true);
      seen.push(item.password());
      item.harness.setRefresh(false);
    }
    await writeFile(join(await saved.harness.ctx.varDir(), 'password'), 'broken');
    await saved.check(true);
    seen.push(saved.password());
    expect(saved.harness.logs().length).toBeGreaterThan(0);
    const logs = allLogs(saved, memory);
    for (const password of seen) expect(logs).not.toContain(password);
  });

  it('watch: fires once when live, then when the saved file is edited or removed', async () => {
    const item = await make({ saved: true });
    const controller = new AbortController();
    const live = item.harness.waitForEvent(2000);
    const watching = item.instance.watch?.(controller.signal);
    await live;
    await item.check(true);
    const file = join(await item.harness.ctx.varDir(), 'password');
    const edited = item.harness.waitForEvent(2000);
    await writeFile(file, 'x');
    await edited;
    const removed = item.harness.waitForEvent(2000);
    await rm(file);
    await removed;
    controller.abort();
    await watching;
  });
});

describe('the saved password file', () => {
  it('is written whole (temp file, rename, folder synced), and the temp files of writes a crash cut short are removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-password-file-'));
    try {
      const path = passwordFilePath(dir);
      // A write cut short by a crash: its temp file holds a password.
      await writeFile(join(dir, 'password.0123456789ab.tmp'), 'half-written-secret\n', { mode: 0o600 });
      await writeFile(join(dir, 'password.keep'), 'not ours\n');
      await writeSavedPassword(path, 'the-new-one');
      expect((await readdir(dir)).sort()).toEqual(['password', 'password.keep']);
      expect(await readFile(path, 'utf8')).toBe('the-new-one\n');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
