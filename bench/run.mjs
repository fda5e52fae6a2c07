// The engine benchmark: N noop resources as a chain, a fan and with no
// edges; load time, time to first convergence and peak RSS, each in its own
// process; plus the whole `converge run` command for 10k. Writes
// bench/results/engine.json and prints a Markdown table for BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNoopGraph } from './noop-graph.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const shapes = ['chain', 'fan', 'none'];
const work = mkdtempSync(join(tmpdir(), 'converge-bench-graphs-'));
const rows = [];

for (const count of sizes) {
  for (const shape of shapes) {
    const file = join(work, `${shape}-${count}.yaml`);
    writeNoopGraph(file, shape, count);
    const out = execFileSync(process.execPath, ['--max-old-space-size=4096', join(here, 'engine-once.mjs'), file], {
      cwd: root,
      encoding: 'utf8',
    });
    const result = JSON.parse(out.trim().split('\n').pop());
    rows.push({ shape, count, ...result });
    console.error(`${shape} ${count}: load ${result.loadMs.toFixed(0)} ms, converge ${result.convergeMs.toFixed(0)} ms, peak ${result.peakRssMiB.toFixed(0)} MiB`);
  }
}

// The same graphs with grouping on (the default for noops): one vertex per group.
for (const count of sizes) {
  const file = join(work, `none-grouped-${count}.yaml`);
  writeNoopGraph(file, 'none', count, { grouped: true });
  const out = execFileSync(process.execPath, ['--max-old-space-size=4096', join(here, 'engine-once.mjs'), file], { cwd: root, encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').pop());
  rows.push({ shape: 'none, autogrouped', count, ...result });
  console.error(`none grouped ${count}: load ${result.loadMs.toFixed(0)} ms, converge ${result.convergeMs.toFixed(0)} ms, peak ${result.peakRssMiB.toFixed(0)} MiB`);
}

// The whole command, as a user runs it, for 10k resources of each shape.
const cli = [];
for (const shape of shapes) {
  const file = join(work, `${shape}-10000.yaml`);
  writeNoopGraph(file, shape, 10000);
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [join(root, 'packages/cli/dist/bin.js'), 'run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--log-level=warn', file],
    { cwd: root, encoding: 'utf8' },
  );
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`converge run failed (${run.status}): ${run.stderr}`);
  cli.push({ shape, count: 10000, wallMs });
  console.error(`converge run ${shape} 10000: ${wallMs.toFixed(0)} ms wall`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'engine.json'), JSON.stringify({ date: new Date().toISOString(), machine, rows, cli }, null, 2));
console.log(`Machine: ${machine}; date: ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| shape | N | load (ms) | first converge (ms) | peak RSS (MiB) |');
console.log('|---|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.shape} | ${row.count} | ${row.loadMs.toFixed(0)} | ${row.convergeMs.toFixed(0)} | ${row.peakRssMiB.toFixed(0)} |`);
}
console.log('\n| `converge run --converger-timeout=0 --converged-exit` | N | wall (ms) |\n|---|---:|---:|');
for (const row of cli) console.log(`| ${row.shape} | ${row.count} | ${row.wallMs.toFixed(0)} |`);
