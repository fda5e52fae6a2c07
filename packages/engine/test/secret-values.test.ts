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

  it('ignores empty and non-string values', () => {
    const secrets = new SecretValues();
    secrets.add('');
    secrets.add(42);
    expect(secrets.size).toBe(0);
    expect(secrets.mask('nothing to hide')).toBe('nothing to hide');
  });
});
