import { EngineError } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { MASK, MASKING_FAILED, SecretValues } from '../src/runtime/secrets.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A password as res-password makes them (`length` characters of A-Z a-z 0-9), from a seed: the same in every run. */
function password(length: number, seed: number): string {
  // mulberry32
  let state = seed >>> 0;
  let text = '';
  for (let index = 0; index < length; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    text += ALPHABET[((mixed ^ (mixed >>> 14)) >>> 0) % ALPHABET.length];
  }
  return text;
}

describe('secret values', () => {
  it('masks a secret however short it is, in messages, fields and errors', () => {
    const secrets = new SecretValues();
    secrets.add('Ilt');
    expect(secrets.mask('cmd /bin/sh -c Ilt exited with code 127')).toBe(`cmd /bin/sh -c ${MASK} exited with code 127`);
    expect(secrets.maskFields({ command: ['sh', '-c', 'Ilt'] })).toEqual({ command: ['sh', '-c', MASK] });
    const error = secrets.maskError(new EngineError('ERR_RESOURCE_CHECK_APPLY', 'Ilt: not found', { hint: 'check Ilt' }));
    expect(error.message).toBe(`${MASK}: not found`);
    expect(error.hint).toBe(`check ${MASK}`);
  });

  it('masks a short secret only where it stands alone, and never masks a mask again', () => {
    const secrets = new SecretValues();
    secrets.add('e');
    secrets.add('cr');
    expect(secrets.mask('no such user: e')).toBe(`no such user: ${MASK}`);
    // Inside words it is left alone: cutting them would garble the message and show the secret.
    expect(secrets.mask('create the user first')).toBe('create the user first');
    expect(secrets.mask(secrets.mask('cmd /bin/sh -c e'))).toBe(`cmd /bin/sh -c ${MASK}`);
    const long = new SecretValues();
    long.add('abcd');
    long.add('abcdefgh');
    expect(long.mask('xabcdefghx abcdx')).toBe(`x${MASK}x ${MASK}x`);
  });

  it('masks the piece of a secret left where a text was cut short (its end after the cut mark, its start before one)', () => {
    const secrets = new SecretValues();
    const password = '8VYwEvOnURU0SttLBJHVk84qAbCdEfGh';
    secrets.add(password);
    // res-exec's stderr tail: the last bytes, after '…'.
    expect(secrets.mask(`cmd failed: …${password.slice(8)} rejected; …`)).toBe(`cmd failed: …${MASK} rejected; …`);
    expect(secrets.mask(`output: …${password.slice(-1)}`)).toBe(`output: …${MASK}`);
    // A head cut: the start of it before the mark (either mark).
    expect(secrets.mask(`token ${password.slice(0, 5)}...`)).toBe(`token ${MASK}...`);
    expect(secrets.maskFields({ output: `…${password.slice(20)}\nnext` })).toEqual({ output: `…${MASK}\nnext` });
    // Text beside a mark that is no piece of it stays.
    expect(secrets.mask('…rejected; see the log...')).toBe('…rejected; see the log...');
  });

  it('masks a secret in an error logged as a field (message, stack, cause, own fields) and in field names', () => {
    const secrets = new SecretValues();
    const token = 'TOK7d9b2e1f';
    secrets.add(token);
    const cause = new Error(`inner ${token}`);
    const error = Object.assign(new Error(`e ${token}`, { cause }), { command: `curl -H ${token}` });
    const masked = secrets.maskFields({ err: error, [token]: 1, deep: { a: { b: [token] } } });
    const text = JSON.stringify(masked, (_key, value: unknown) => (value instanceof Error ? { ...value, message: value.message, stack: value.stack, cause: value.cause } : value));
    expect(text).not.toContain(token);
    expect(masked.err).toBeInstanceOf(Error);
    expect((masked.err as Error).message).toBe(`e ${MASK}`);
    expect((masked.err as Error).stack).toContain(`Error: e ${MASK}`);
    expect(((masked.err as Error).cause as Error).message).toBe(`inner ${MASK}`);
    expect(Object.keys(masked)).toContain(MASK);
  });

  it('ignores empty and non-string values', () => {
    const secrets = new SecretValues();
    secrets.add('');
    secrets.add(42);
    expect(secrets.size).toBe(0);
    expect(secrets.mask('nothing to hide')).toBe('nothing to hide');
  });

  // QA: two passwords, one of 32,768 characters or more, made the one regex of every secret too large for V8: the
  // first log line after the second was sent threw, and the error printed for it held both passwords.
  it('masks secrets of any size together (a password may have up to 65,535 characters), also where text was cut', () => {
    for (const lengths of [
      [32_768, 8],
      [65_535, 8],
      [40_000, 30_000],
      [65_535, 65_535, 3],
    ]) {
      const secrets = new SecretValues();
      const values = lengths.map((length, index) => password(length, index + 1));
      for (const value of values) secrets.add(value);
      const line = values.map((value, index) => `p${index}: ${value}`).join(', ');
      expect(secrets.mask(line)).toBe(values.map((_value, index) => `p${index}: ${MASK}`).join(', '));
      expect(secrets.mask('converged: password[long]')).toBe('converged: password[long]');
      const [first] = values as [string];
      expect(secrets.mask(`stderr: …${first.slice(100)}`)).toBe(`stderr: …${MASK}`);
      expect(secrets.mask(`head: ${first.slice(0, 1_000)}...`)).toBe(`head: ${MASK}...`);
      expect(secrets.maskFields({ content: first, nested: [values.at(-1)] })).toEqual({ content: MASK, nested: [MASK] });
    }
  });

  it('masks many secrets as it masks a few: each one, the longest where they overlap, short ones only standing alone', () => {
    const secrets = new SecretValues();
    const values = Array.from({ length: 500 }, (_value, index) => password(4 + (index % 60), index + 7));
    for (const value of values) secrets.add(value);
    secrets.add('Ilt');
    secrets.add('abcdefgh');
    secrets.add('abcd');
    const line = values.map((value) => `[${value}]`).join(' ');
    expect(secrets.mask(line)).toBe(values.map(() => `[${MASK}]`).join(' '));
    expect(secrets.mask('sh -c Ilt; Ilty')).toBe(`sh -c ${MASK}; Ilty`);
    expect(secrets.mask('xabcdefghx abcdx')).toBe(`x${MASK}x ${MASK}x`);
    expect(secrets.mask(`…${(values[0] as string).slice(2)} failed`)).toBe(`…${MASK} failed`);
  });

  it('stays fast with two of the largest secrets, on long lines and on lines cut short', () => {
    const secrets = new SecretValues();
    const long = password(65_535, 3);
    secrets.add(long);
    secrets.add(password(65_535, 4));
    const lines = Array.from({ length: 2_000 }, (_value, index) => `[12:00:00.000] INFO: file[/srv/app/${index}.conf]: changed content … ${password(80, 10_000 + index)} (diff cut) ...`);
    const started = performance.now();
    for (const line of lines) expect(secrets.mask(line)).toBe(line);
    expect(secrets.mask(`${long.slice(0, 5_000)}… …${long.slice(-5_000)}`)).toBe(`${MASK}… …${MASK}`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('never throws: what it cannot mask is not shown at all', () => {
    const secrets = new SecretValues();
    const token = 'TOK7d9b2e1f';
    secrets.add(token);
    // A plugin's bug: a log message that is no string (its text would hold the secret).
    expect(secrets.mask({ toString: () => token } as unknown as string)).toBe(MASKING_FAILED);
    // Fields that throw as they are walked.
    const fields = {
      get reason(): string {
        throw new Error(token);
      },
    };
    expect(secrets.maskFields(fields)).toEqual({ fields: MASKING_FAILED });
  });
});
