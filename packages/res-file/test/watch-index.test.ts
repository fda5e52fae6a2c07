import { describe, expect, it } from 'vitest';
import { WatchIndex } from '../src/watch-index.js';

const names = (members: Set<string>): string[] => [...members].sort();

describe('which watches an event reaches', () => {
  const build = (): WatchIndex<string> => {
    const index = new WatchIndex<string>();
    index.add('a', [{ path: '/srv/app/a.conf', below: 'nothing' }]);
    index.add('b', [{ path: '/srv/app/sub/b.conf', below: 'nothing' }]);
    index.add('dir', [{ path: '/srv/app', below: 'nothing' }]);
    index.add('kids', [{ path: '/etc/conf.d', below: 'children' }]);
    index.add('tree', [{ path: '/opt/tree', below: 'everything' }]);
    return index;
  };

  it('reaches a target, and everything with a target below an ancestor that changed', () => {
    const index = build();
    expect(names(index.membersFor('/srv/app/a.conf'))).toEqual(['a']);
    expect(names(index.membersFor('/srv/app/sub'))).toEqual(['b']);
    expect(names(index.membersFor('/srv/app'))).toEqual(['a', 'b', 'dir']);
    expect(names(index.membersFor('/srv'))).toEqual(['a', 'b', 'dir']);
    expect(names(index.membersFor('/'))).toEqual(['a', 'b', 'dir', 'kids', 'tree']);
    expect(names(index.membersFor('/srv/application'))).toEqual([]);
  });

  it('reaches children and whole trees, nothing unrelated', () => {
    const index = build();
    expect(names(index.membersFor('/etc/conf.d/x.conf'))).toEqual(['kids']);
    expect(names(index.membersFor('/etc/conf.d/x/y'))).toEqual([]);
    expect(names(index.membersFor('/opt/tree/deep/down/file'))).toEqual(['tree']);
    expect(index.isRelevant('/etc/passwd')).toBe(false);
  });

  it('gives folders that are only seen into a bare watch, parents first; subtrees are walked', () => {
    const index = build();
    expect(index.needsOwnWatch('/srv/app/sub')).toBe(false);
    expect(index.isRelevant('/srv/app/sub')).toBe(true);
    const bare = index.bareFolders();
    expect([...bare].sort()).toEqual(['/', '/etc', '/opt', '/srv', '/srv/app', '/srv/app/sub']);
    expect(bare.indexOf('/srv')).toBeLessThan(bare.indexOf('/srv/app'));
    expect(bare.indexOf('/srv/app')).toBeLessThan(bare.indexOf('/srv/app/sub'));
    expect(index.subtreeRoots()).toEqual(['/etc/conf.d', '/opt/tree']);
    expect(index.isBareWatched('/etc/conf.d')).toBe(false);
    expect(index.isInSubtree('/opt/tree/deep')).toBe(true);
    expect(index.hasWatchesAtOrBelow('/srv')).toBe(true);
    expect(index.hasWatchesAtOrBelow('/srv/app/a.conf')).toBe(false);
  });

  it('keeps a folder of targets inside a subtree bare, and hands the subtree over when its root leaves', () => {
    const index = new WatchIndex<string>();
    index.add('purge', [{ path: '/etc/app.d', below: 'children' }]);
    index.add('deep', [{ path: '/etc/app.d/sub/x/f.conf', below: 'nothing' }]);
    index.add('nested', [{ path: '/etc/app.d/sub/tree', below: 'everything' }]);
    expect(index.subtreeRoots()).toEqual(['/etc/app.d']);
    // A walk of /etc/app.d reaches sub and sub/tree (on the way to targets); sub/x holds only a leaf: a bare watch.
    expect(index.needsOwnWatch('/etc/app.d/sub')).toBe(true);
    expect(index.isBareWatched('/etc/app.d/sub/x')).toBe(true);
    index.remove('purge', [{ path: '/etc/app.d', below: 'children' }]);
    expect(index.subtreeRoots()).toEqual(['/etc/app.d/sub/tree']);
    expect(index.bareFolders()).toEqual(['/', '/etc', '/etc/app.d', '/etc/app.d/sub', '/etc/app.d/sub/x']);
  });

  it('watches folders, not leaf files, and forgets what leaves', () => {
    const index = build();
    expect(index.needsOwnWatch('/srv/app')).toBe(true);
    expect(index.needsOwnWatch('/srv/app/a.conf')).toBe(false);
    // An entry of a purged folder, even a folder, is seen through the purged folder's watch.
    expect(index.needsOwnWatch('/etc/conf.d/x')).toBe(false);
    index.remove('b', [{ path: '/srv/app/sub/b.conf', below: 'nothing' }]);
    expect(index.isRelevant('/srv/app/sub')).toBe(false);
    expect(names(index.membersFor('/srv/app'))).toEqual(['a', 'dir']);
    index.remove('a', [{ path: '/srv/app/a.conf', below: 'nothing' }]);
    index.remove('dir', [{ path: '/srv/app', below: 'nothing' }]);
    expect(index.isRelevant('/srv')).toBe(false);
    expect(names(index.membersFor('/'))).toEqual(['kids', 'tree']);
  });

  it('counts a member once per target that puts it there', () => {
    const index = new WatchIndex<string>();
    const targets = [
      { path: '/srv/one', below: 'nothing' as const },
      { path: '/srv/two', below: 'nothing' as const },
    ];
    index.add('m', targets);
    index.remove('m', [targets[0]!]);
    expect(names(index.membersFor('/srv'))).toEqual(['m']);
    index.remove('m', [targets[1]!]);
    expect(names(index.membersFor('/srv'))).toEqual([]);
  });
});
