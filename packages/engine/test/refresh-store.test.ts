import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RefreshStore } from '../src/runtime/refresh-store.js';
import { tempStateDir } from './support/graph.js';

const records = (stateDir: string): string[] => readdirSync(join(stateDir, 'refresh'));

/** A state directory as the engine's start leaves it: with its refresh folder. */
async function stateDirWithRefreshes(): Promise<string> {
  const stateDir = await tempStateDir();
  mkdirSync(join(stateDir, 'refresh'), { recursive: true });
  return stateDir;
}

describe('RefreshStore', () => {
  it('removes a record when clear is called, not once libuv gets to it (QA: with a change notifying 100 commands, a record stayed up to a second after its command succeeded)', async () => {
    const stateDir = await stateDirWithRefreshes();
    const store = new RefreshStore(stateDir);
    await store.set('exec[a]');
    await store.set('exec[b]');
    await store.setIntent('file[c]');
    expect(records(stateDir)).toHaveLength(3);
    const cleared = store.clear('exec[a]');
    const intentCleared = store.clearIntent('file[c]');
    // Gone before either promise is awaited: nothing else queued may delay it.
    expect(records(stateDir)).toHaveLength(1);
    expect(await cleared).toBe(true);
    await intentCleared;
    const reloaded = new RefreshStore(stateDir);
    reloaded.load();
    expect(reloaded.pendingIds()).toEqual(['exec[b]']);
    expect(reloaded.leftIntents()).toEqual([]);
  });

  it('keeps a refresh sent while the check ran, on disk too', async () => {
    const stateDir = await stateDirWithRefreshes();
    const store = new RefreshStore(stateDir);
    await store.set('exec[a]');
    const seen = store.sentCount('exec[a]');
    await store.set('exec[a]');
    expect(await store.clear('exec[a]', seen)).toBe(false);
    expect(records(stateDir)).toHaveLength(1);
  });
});
