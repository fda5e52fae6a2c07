import { describe, expect, it } from 'vitest';
import { tempKeyOf, tempNameFor, tempTargetOf, withTempNamesHidden } from '../src/temp-names.js';

describe('temp names', () => {
  it('names a temp file beside its target, and tells the target back', () => {
    const temp = tempNameFor('/etc/app/app.conf');
    expect(temp).toMatch(/^\/etc\/app\/\.app\.conf\.converge-[0-9a-f]{12}\.tmp$/);
    expect(tempTargetOf(temp.slice('/etc/app/'.length))).toBe('app.conf');
    expect(tempTargetOf('app.conf')).toBeUndefined();
  });

  it('holds a name too long to fit beside the temp name\'s own bytes as a hash of it, told back as that key', () => {
    for (const name of ['a'.repeat(228), 'é'.repeat(114)]) expect(tempKeyOf(name)).toBe(name);
    for (const name of ['a'.repeat(229), 'a'.repeat(255), 'é'.repeat(115)]) {
      const temp = tempNameFor(`/srv/${name}`).slice('/srv/'.length);
      expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
      expect(tempKeyOf(name)).toMatch(/^~[0-9a-f]{32}$/);
      expect(tempTargetOf(temp)).toBe(tempKeyOf(name));
    }
    expect(tempKeyOf('a'.repeat(229))).not.toBe(tempKeyOf('a'.repeat(230)));
  });

  it('hides the random part in an error message, so one failure repeated reads the same each time', () => {
    const message = (path: string): string => `EISDIR: illegal operation on a directory, rename '${path}' -> '/srv/d/a'`;
    const first = withTempNamesHidden(message(tempNameFor('/srv/d/a')));
    const second = withTempNamesHidden(message(tempNameFor('/srv/d/a')));
    expect(first).toBe("EISDIR: illegal operation on a directory, rename '/srv/d/a (its temporary file)' -> '/srv/d/a'");
    expect(second).toBe(first);
  });
});
