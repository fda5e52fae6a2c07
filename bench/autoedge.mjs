// The autoedge benchmark (issue 3): 10,000 `file` resources in the leaves of
// a tree of managed directories (three levels, ten children each, ten files
// per leaf); times the autoedge pass alone on the loaded graph. Target: 50 ms.
// Prints the median of BENCH_RUNS runs (after one warm-up) and writes
// bench/results/autoedge.json.
//
//   node bench/autoedge.mjs
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autoEdges, loadGraphFile } from '@converge/engine';
import { fileTree, writeFileTreeGraph } from './file-tree.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const count = Number(process.env.BENCH_FILES ?? 10_000);
const runs = Number(process.env.BENCH_RUNS ?? 9);
const work = mkdtempSync(join(tmpdir(), 'converge-bench-autoedge-'));
const tree = fileTree(join(work, 'tree'), count, { perDir: 10, levels: 3, branching: 10 });
const graphFile = join(work, 'tree.yaml');
writeFileTreeGraph(graphFile, tree);

const graph = await loadGraphFile(graphFile);
// Every file and every directory but the root gets an edge from its parent directory.
const expected = tree.files.length + tree.dirs.length - 1;
const times = [];
for (let run = 0; run <= runs; run++) {
  const started = performance.now();
  const edges = autoEdges(graph.resources, graph.kinds, graph.edges);
  const ms = performance.now() - started;
  if (edges.length !== expected) throw new Error(`${edges.length} autoedges, expected ${expected}`);
  if (run > 0) times.push(ms);
}
rmSync(work, { recursive: true, force: true });

const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const result = {
  date: new Date().toISOString(),
  machine,
  files: tree.files.length,
  dirs: tree.dirs.length,
  edges: expected,
  runs,
  medianMs: median,
  minMs: sorted[0],
  maxMs: sorted.at(-1),
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'autoedge.json'), JSON.stringify(result, null, 2));
console.log(
  `autoedge pass: ${tree.files.length} files + ${tree.dirs.length} dirs -> ${expected} edges; ` +
    `median ${median.toFixed(1)} ms (min ${sorted[0].toFixed(1)}, max ${sorted.at(-1).toFixed(1)}) over ${runs} runs`,
);
