// One measurement in a fresh process (so peak RSS is this run's alone):
// load a graph file, start the engine, wait for convergence. Prints JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, loadGraphFile } from '@converge/engine';

const file = process.argv[2];
const stateDir = mkdtempSync(join(tmpdir(), 'converge-bench-'));
const t0 = performance.now();
const graph = await loadGraphFile(file);
const t1 = performance.now();
const engine = new Engine({ stateDir, convergerTimeout: 0 });
await engine.start(graph);
await engine.whenConverged();
const t2 = performance.now();
await engine.stop();
rmSync(stateDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    loadMs: t1 - t0,
    convergeMs: t2 - t1,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
