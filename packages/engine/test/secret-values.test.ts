import { EngineError } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { MASK, SecretValues } from '../src/runtime/secrets.js';

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
});
