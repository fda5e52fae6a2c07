// Heap over hot reloads: a running engine (watching, as a daemon runs) with
// real file resources is swapped, again and again, between two versions of
// a 340-resource graph loaded from YAML (300 files, 290 in the other, plus
// 50 noops with notify edges into files), waiting for convergence after
// each. Prints the heap in use after a full GC at a few points, so growth
// per reload shows. Run with --expose-gc:
//
//   node --expose-gc bench/reload-heap.mjs [RELOADS]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, loadGraphFile } from '@converge/engine';

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
const reloads = Number(process.argv[2] ?? 500);
const dir = mkdtempSync(join(tmpdir(), 'converge-reload-heap-'));

function yaml(version, files) {
  const lines = ['graph: soak', 'resources:', '  file:'];
  for (let i = 0; i < files; i++) lines.push(`  - name: ${dir}/files/f${i}`, '    state: exists', `    content: "${version} ${i}\\n"`);
  lines.push('  noop:');
  for (let i = 0; i < 50; i++) lines.push(`  - name: n${version}${i}`);
  lines.push('edges:');
  for (let i = 0; i < 50; i++) lines.push(`- from: {kind: noop, name: n${version}${i}}`, `  to: {kind: file, name: ${dir}/files/f${i}}`, '  notify: true');
  return `${lines.join('\n')}\n`;
}
writeFileSync(join(dir, 'a.yaml'), yaml('a', 300));
writeFileSync(join(dir, 'b.yaml'), yaml('b', 290));
const graphs = [await loadGraphFile(join(dir, 'a.yaml')), await loadGraphFile(join(dir, 'b.yaml'))];

const heapMiB = () => {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const engine = new Engine({ stateDir: join(dir, 'state'), convergerTimeout: 0 });
await engine.start(graphs[0]);
await engine.whenConverged();
const points = new Set([0, 50, 100, Math.floor(reloads / 2), reloads]);
const rows = [];
const started = performance.now();
for (let reload = 0; reload <= reloads; reload++) {
  if (reload > 0) {
    await engine.swap(graphs[reload % 2]);
    await engine.whenConverged();
  }
  if (points.has(reload)) {
    rows.push({ reload, heapMiB: heapMiB() });
    console.error(`reload ${reload}: heap ${rows.at(-1).heapMiB.toFixed(1)} MiB`);
  }
}
const perReloadMs = (performance.now() - started) / reloads;
await engine.stop();
rmSync(dir, { recursive: true, force: true });
console.log('| reloads | heap after GC (MiB) |\n|---:|---:|');
for (const row of rows) console.log(`| ${row.reload} | ${row.heapMiB.toFixed(1)} |`);
console.log(`\n${reloads} reloads, ${perReloadMs.toFixed(0)} ms each (swap and converge)`);
