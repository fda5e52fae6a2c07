import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineEvent, EngineTopology } from '@converge/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { startGraphvizFile } from '../src/graphviz-file.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(removeTempDirs);

/** An engine as --graphviz sees it: its events and the running graph's shape. */
function fakeEngine() {
  const listeners = new Set<(event: EngineEvent) => void>();
  let topology: EngineTopology = { resources: [], edges: [] };
  return {
    onEvent(listener: (event: EngineEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    topology: () => topology,
    swapTo(next: readonly string[]) {
      topology = { resources: next.map((id) => ({ id, kind: 'noop', name: id, hidden: false, group: [] })), edges: [] };
      for (const listener of listeners) listener({ type: 'swap' } as EngineEvent);
    },
  };
}

describe('--graphviz FILE', () => {
  it('has the new graph in FILE, and no temp file beside it, by the end of the turn that tells of the swap (QA: a forced stop left FILE.PID.tmp)', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'g.dot');
    const engine = fakeEngine();
    const file = await startGraphvizFile(engine, path, 'g', () => {});
    engine.swapTo(['noop[a]']);
    // Read synchronously, nothing awaited since the swap: as a process that exits now (a third signal) leaves it.
    expect(readFileSync(path, 'utf8')).toContain('"noop[a]"');
    expect(readdirSync(dir)).toEqual(['g.dot']);
    engine.swapTo(['noop[a]', 'noop[b]']);
    expect(readFileSync(path, 'utf8')).toContain('"noop[b]"');
    expect(readdirSync(dir)).toEqual(['g.dot']);
    await file.close();
    engine.swapTo(['noop[c]']);
    expect(readFileSync(path, 'utf8')).not.toContain('"noop[c]"');
  });
});
