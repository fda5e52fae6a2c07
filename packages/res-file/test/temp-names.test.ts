import { describe, expect, it } from 'vitest';
import { tempNameFor, tempTargetOf, withTempNamesHidden } from '../src/temp-names.js';

describe('temp names', () => {
  it('names a temp file beside its target, and tells the target back', () => {
    const temp = tempNameFor('/etc/app/app.conf');
    expect(temp).toMatch(/^\/etc\/app\/\.app\.conf\.converge-[0-9a-f]{12}\.tmp$/);
    expect(tempTargetOf(temp.slice('/etc/app/'.length))).toBe('app.conf');
    expect(tempTargetOf('app.conf')).toBeUndefined();
  });

  it('hides the random part in an error message, so one failure repeated reads the same each time', () => {
    const message = (path: string): string => `EISDIR: illegal operation on a directory, rename '${path}' -> '/srv/d/a'`;
    const first = withTempNamesHidden(message(tempNameFor('/srv/d/a')));
    const second = withTempNamesHidden(message(tempNameFor('/srv/d/a')));
    expect(first).toBe("EISDIR: illegal operation on a directory, rename '/srv/d/a (its temporary file)' -> '/srv/d/a'");
    expect(second).toBe(first);
  });
});
