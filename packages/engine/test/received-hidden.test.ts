import { EngineError } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { withReceivedValuesHidden } from '../src/runtime/received-check.js';

const received = (...params: string[]) => new Map(params.map((param) => [param, { changed: true }]));
const error = (message: string) => new EngineError('ERR_RESOURCE_CHECK_APPLY', message, { resource: 'exec[x]', phase: 'checkApply' });

describe('received values in errors', () => {
  it('are never quoted: a long one wherever it stands, a short or empty one where the message quotes it', () => {
    expect(withReceivedValuesHidden(error('unknown user "nosuchuser"'), { user: 'nosuchuser' }, received('user')).message).toBe('unknown user "<param user, received>"');
    expect(withReceivedValuesHidden(error('unknown user "ab"'), { user: 'ab' }, received('user')).message).toBe('unknown user "<param user, received>"');
    expect(withReceivedValuesHidden(error('unknown user ""'), { user: '' }, received('user')).message).toBe('unknown user "<param user, received>"');
    // Unquoted, a short one is left: in the middle of words it would garble them.
    expect(withReceivedValuesHidden(error('a bad abc'), { user: 'ab' }, received('user')).message).toBe('a bad abc');
  });

  it('are not quoted with JSON escapes either (QA: a command output ending in a newline was shown as owner "TOKEN-abc123\\n")', () => {
    const params = { owner: 'TOKEN-abc123\n', group: 'tab\there "quoted"' };
    const hidden = withReceivedValuesHidden(error(`owner ${JSON.stringify(params.owner)} is not a user name; group ${JSON.stringify(params.group)} neither`), params, received('owner', 'group'));
    expect(hidden.message).toBe('owner "<param owner, received>" is not a user name; group "<param group, received>" neither');
  });
});
