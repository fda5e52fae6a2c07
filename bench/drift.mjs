// The drift-repair benchmark (issue 3): a graph with a managed file (under a
// managed directory, beside a few other files) runs in `converge run` (the
// built CLI, its own process); the file is deleted or overwritten 1,000
// times, alternating, and each time this script polls it until the engine
// has put it back. Reports p50 / p99 / max from the change to the repair.
// Target: p99 <= 50 ms. Writes bench/results/drift.json.
//
//   node bench/drift.mjs              # BENCH_ROUNDS=1000
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { fileTree, writeFileTreeGraph } from './file-tree.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 1000);
const GIVE_UP_MS = 5_000;
const work = mkdtempSync(join(tmpdir(), 'converge-bench-drift-'));
const tree = fileTree(join(work, 'etc'), 10, { perDir: 10 });
const graphFile = join(work, 'drift.yaml');
writeFileTreeGraph(graphFile, tree);
const managed = tree.files[0];

const engine = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'run', '--tmp-prefix', '--log-level=warn', graphFile], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise((resolve) => engine.on('exit', (code, signal) => resolve({ code, signal })));

const inPlace = async () => (await readFile(managed.path, 'utf8').catch(() => undefined)) === managed.content;
async function repairedAfter(started) {
  for (;;) {
    if (await inPlace()) return performance.now() - started;
    if (performance.now() - started > GIVE_UP_MS) throw new Error(`${managed.path} was not repaired within ${GIVE_UP_MS} ms (${process.env.DRIFT_DEBUG ?? ""}${lastChange})`);
    await nextTurn();
  }
}

// The engine has converged once every file is there with its content.
const startedAt = performance.now();
for (;;) {
  const all = await Promise.all(tree.files.map((file) => readFile(file.path, 'utf8').catch(() => undefined)));
  if (all.every((content, i) => content === tree.files[i].content)) break;
  if (performance.now() - startedAt > 30_000) throw new Error('the graph did not converge within 30 s');
  await new Promise((resolve) => setTimeout(resolve, 10));
}
// A settle pause, so that the first change does not race the engine's own last events.
await new Promise((resolve) => setTimeout(resolve, 200));

let lastChange = "";
const latencies = { delete: [], overwrite: [] };
for (let round = 0; round < rounds; round++) {
  const kind = round % 2 === 0 ? 'delete' : 'overwrite';
  lastChange = `round ${round}: ${kind}`;
  const started = performance.now();
  if (kind === 'delete') await unlink(managed.path);
  else await writeFile(managed.path, `drifted ${round}\n`);
  latencies[kind].push(await repairedAfter(started));
}
const mode = (await stat(managed.path)).mode & 0o777;
engine.kill('SIGINT');
const { code } = await exited;
rmSync(work, { recursive: true, force: true });
if (code !== 0) throw new Error(`converge run exited with ${code}`);
if (mode !== 0o640) throw new Error(`the repaired file has mode ${mode.toString(8)}`);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const summarize = (values) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) });
const all = [...latencies.delete, ...latencies.overwrite];
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const result = { date: new Date().toISOString(), machine, all: summarize(all), delete: summarize(latencies.delete), overwrite: summarize(latencies.overwrite) };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'drift.json'), JSON.stringify(result, null, 2));
const f = (s) => `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (n=${s.n})`;
console.log(`drift repair, all: ${f(result.all)}\n  delete: ${f(result.delete)}\n  overwrite: ${f(result.overwrite)}`);
