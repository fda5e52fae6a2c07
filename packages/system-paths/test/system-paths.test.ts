import { chmodSync, lchownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemLinks, normalizePath } from '../src/index.js';

describe('normalizePath', () => {
  it('collapses //, . and .. as written; a directory keeps (or gets) its trailing slash', () => {
    expect(normalizePath('/etc//app/./x')).toBe('/etc/app/x');
    expect(normalizePath('/usr/local/bin/../bin/x')).toBe('/usr/local/bin/x');
    expect(normalizePath('//usr/local/bin/x')).toBe('/usr/local/bin/x');
    expect(normalizePath('/x//cw/')).toBe('/x/cw/');
    expect(normalizePath('/srv/app', true)).toBe('/srv/app/');
    expect(normalizePath('/srv/app/', false)).toBe('/srv/app');
    expect(normalizePath('/', true)).toBe('/');
    expect(normalizePath('/a/..')).toBe('/');
  });
});

// A merged-/usr layout of its own in a folder made here (bin → usr/bin,
// lib → usr/lib, var/run → ../run, var/lock → ../run/lock), so that these
// tests hold on any host; every key is checked against the real file's
// realpath. The links are trusted only as root keeps them: made as root.
describe.runIf(process.getuid?.() === 0)('systemPath through system links of its own (as root)', () => {
  let root = '';
  let links: SystemLinks;
  const at = (path: string) => `${root}${path}`;

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'system-paths-')));
    for (const folder of ['/usr/bin', '/usr/lib/app', '/usr/share', '/usr/local/bin', '/run/lock', '/var', '/library', '/open']) mkdirSync(at(folder), { recursive: true });
    chmodSync(at('/var'), 0o755);
    symlinkSync('usr/bin', at('/bin'));
    symlinkSync('usr/lib', at('/lib'));
    symlinkSync('../run', at('/var/run'));
    symlinkSync('../run/lock', at('/var/lock'));
    for (const file of ['/usr/bin/tool', '/usr/lib/app/x.conf', '/usr/local/bin/tool', '/run/lock/x', '/library/x']) writeFileSync(at(file), '');
    links = new SystemLinks(['/bin', '/lib', '/var/run', '/var/lock', '/open/bin', '/usr/sbin'].map(at));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const key = (path: string, isDir?: boolean) => links.systemPath(at(path), isDir);

  it('gives each spelling of a file the key of its real path (QA: /bin/x had no edge from file[/usr/bin/x])', () => {
    for (const spelling of ['/bin/tool', '/usr/bin/tool', '//usr/bin/tool', '/usr/./bin/tool', '/usr/local/bin/../../bin/tool', '/lib/../bin/tool']) {
      expect(key(spelling), spelling).toBe(realpathSync.native(at(spelling)));
    }
    expect(key('/usr/local/bin/../bin/tool')).toBe(realpathSync.native(at('/usr/local/bin/tool')));
    expect(key('//usr/local/bin/tool')).toBe(at('/usr/local/bin/tool'));
    expect(key('/lib/app/x.conf')).toBe(realpathSync.native(at('/lib/app/x.conf')));
    // A link that leads into another: both are /run/lock/x.
    expect(key('/var/lock/x')).toBe(realpathSync.native(at('/var/lock/x')));
    expect(key('/var/run/lock/x')).toBe(at('/run/lock/x'));
  });

  it('keeps a folder’s trailing slash, and follows the link itself', () => {
    expect(key('/lib/app/')).toBe(at('/usr/lib/app/'));
    expect(key('/lib//app', true)).toBe(at('/usr/lib/app/'));
    expect(key('/lib/app/', false)).toBe(at('/usr/lib/app'));
    expect(key('/bin')).toBe(at('/usr/bin'));
    expect(key('/bin/', true)).toBe(at('/usr/bin/'));
  });

  it('leaves a path alone that only starts like a link, or goes through no link', () => {
    expect(key('/library/x')).toBe(at('/library/x'));
    expect(key('/binx/tool')).toBe(at('/binx/tool'));
    expect(key('/usr/bin/tool')).toBe(at('/usr/bin/tool'));
    // A system link's name that is no link here (a real folder, or nothing).
    expect(key('/usr/sbin/x')).toBe(at('/usr/sbin/x'));
  });

  it('does not follow a link that someone other than root could swap', () => {
    symlinkSync('../usr/bin', at('/open/bin'));
    chmodSync(at('/open'), 0o777);
    expect(key('/open/bin/tool')).toBe(at('/open/bin/tool'));
    const owned = new SystemLinks([at('/bin')]);
    lchownSync(at('/bin'), 65534, 65534);
    try {
      expect(owned.systemPath(at('/bin/tool'), false)).toBe(at('/bin/tool'));
    } finally {
      lchownSync(at('/bin'), 0, 0);
    }
  });
});
