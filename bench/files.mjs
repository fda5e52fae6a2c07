// The file benchmark (issue 3): N `file` resources (content, mode) under
// managed directories, cold (everything created) and idempotent (nothing to
// do), through the real engine with res-file loaded from node_modules,
// against a plain fs script doing the same read-compare-write work. Each
// measurement runs in its own process; the median of BENCH_RUNS is kept.
// Writes bench/results/files.json and prints a Markdown table.
//
//   node bench/files.mjs                         # N = 1000 and 10000, 3 runs
//   BENCH_SIZES=1000 BENCH_RUNS=5 node bench/files.mjs
//   BENCH_CPU_PROF=/tmp/prof node bench/files.mjs   # .cpuprofile of each engine run
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIR_MODE, FILE_MODE, fileTree, writeFileTreeGraph } from './file-tree.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const profileDir = process.env.BENCH_CPU_PROF;
const work = mkdtempSync(join(tmpdir(), 'converge-bench-files-'));
// The plain-durable scripts write as crash-safely as res-file does (temp
// file, fsync, rename, fsync of the directory): the same work with the same
// guarantees. plain-sync and plain-async skip the fsyncs: faster, not safe.
// engine-once: the engine of a one-shot run (`--converged-exit` at timeout 0), which watches nothing.
const modes = ['plain-sync', 'plain-async', 'plain-durable-sync', 'plain-durable', 'engine', 'engine-once'];

function once(mode, phase, treeFile, graphFile) {
  const flags = mode.startsWith('engine') && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const out = execFileSync(process.execPath, [...flags, join(here, 'files-once.mjs'), mode, phase, treeFile, graphFile], {
    cwd: root,
    encoding: 'utf8',
  });
  const result = JSON.parse(out.trim().split('\n').pop());
  if (result.failures) throw new Error(`${mode} ${phase}: ${result.failures} resources failed, first: ${result.firstFailure}`);
  return result;
}

/** Every file and directory is there with the wanted content and mode: a run that did less does not count. */
function verify(tree) {
  for (const dir of tree.dirs) {
    const found = statSync(dir);
    if (!found.isDirectory() || (found.mode & 0o7777) !== DIR_MODE) throw new Error(`${dir} is not a 0755 directory`);
  }
  for (const file of tree.files) {
    if (readFileSync(file.path, 'utf8') !== file.content) throw new Error(`${file.path} has the wrong content`);
    if ((statSync(file.path).mode & 0o7777) !== FILE_MODE) throw new Error(`${file.path} has the wrong mode`);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const rows = [];
for (const count of sizes) {
  const treeRoot = join(work, `tree-${count}`);
  const tree = fileTree(treeRoot, count, { perDir: 100 });
  const treeFile = join(work, `tree-${count}.json`);
  const graphFile = join(work, `files-${count}.yaml`);
  writeFileSync(treeFile, JSON.stringify(tree));
  writeFileTreeGraph(graphFile, tree);
  const samples = Object.fromEntries(modes.map((mode) => [mode, { cold: [], idempotent: [], load: [], stop: [], rss: [] }]));
  for (let run = 0; run < runs; run++) {
    for (const mode of modes) {
      rmSync(treeRoot, { recursive: true, force: true });
      const cold = once(mode, 'cold', treeFile, graphFile);
      verify(tree);
      if (cold.changes !== tree.dirs.length + tree.files.length) throw new Error(`${mode} cold made ${cold.changes} changes`);
      const idempotent = once(mode, 'idempotent', treeFile, graphFile);
      if (idempotent.changes !== 0) throw new Error(`${mode} idempotent made ${idempotent.changes} changes`);
      const sample = samples[mode];
      sample.cold.push(cold.ms);
      sample.idempotent.push(idempotent.ms);
      sample.rss.push(Math.max(cold.peakRssMiB, idempotent.peakRssMiB));
      if (mode === 'engine') {
        sample.load.push(idempotent.loadMs);
        sample.stop.push(idempotent.stopMs);
      }
      console.error(
        `N=${count} run ${run + 1}/${runs} ${mode}: cold ${cold.ms.toFixed(0)} ms, idempotent ${idempotent.ms.toFixed(0)} ms` +
          (mode === 'engine' ? ` (load ${idempotent.loadMs.toFixed(0)} ms, stop ${idempotent.stopMs.toFixed(0)} ms)` : ''),
      );
    }
  }
  rmSync(treeRoot, { recursive: true, force: true });
  const summary = Object.fromEntries(
    modes.map((mode) => [
      mode,
      {
        coldMs: median(samples[mode].cold),
        idempotentMs: median(samples[mode].idempotent),
        peakRssMiB: median(samples[mode].rss),
        ...(mode === 'engine' ? { loadMs: median(samples[mode].load), stopMs: median(samples[mode].stop) } : {}),
      },
    ]),
  );
  const best = (phase, ...of) => Math.min(...of.map((mode) => summary[mode][phase]));
  const plain = ['plain-sync', 'plain-async', 'plain-durable-sync', 'plain-durable'];
  const durable = ['plain-durable-sync', 'plain-durable'];
  rows.push({
    files: count,
    dirs: tree.dirs.length,
    ...summary,
    coldRatio: summary.engine.coldMs / best('coldMs', ...plain),
    idempotentRatio: summary.engine.idempotentMs / best('idempotentMs', ...plain),
    coldDurableRatio: summary.engine.coldMs / best('coldMs', ...durable),
    idempotentDurableRatio: summary.engine.idempotentMs / best('idempotentMs', ...durable),
    coldOnceRatio: summary['engine-once'].coldMs / best('coldMs', ...plain),
    idempotentOnceRatio: summary['engine-once'].idempotentMs / best('idempotentMs', ...plain),
  });
}
rmSync(work, { recursive: true, force: true });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'files.json'), JSON.stringify({ date: new Date().toISOString(), machine, runs, rows }, null, 2));

const f = (ms) => ms.toFixed(0);
console.log(`Machine: ${machine}; date: ${new Date().toISOString().slice(0, 10)}; median of ${runs} runs\n`);
console.log(
  '| files (+ dirs) | phase | plain sync (ms) | plain async (ms) | durable sync (ms) | durable async (ms) | engine (ms) | engine ÷ best durable | engine ÷ best of all | one-shot (ms) | one-shot ÷ best of all | engine load (ms) |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  for (const phase of ['cold', 'idempotent']) {
    const key = `${phase}Ms`;
    const cells = ['plain-sync', 'plain-async', 'plain-durable-sync', 'plain-durable', 'engine'].map((mode) => f(row[mode][key]));
    console.log(
      `| ${row.files} (+ ${row.dirs}) | ${phase} | ${cells.join(' | ')} | ${row[`${phase}DurableRatio`].toFixed(1)}× | ${row[`${phase}Ratio`].toFixed(1)}× | ` +
        `${f(row['engine-once'][key])} | ${row[`${phase}OnceRatio`].toFixed(1)}× | ${f(row.engine.loadMs)} |`,
    );
  }
}
