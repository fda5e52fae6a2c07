// What a busy folder above a managed file costs the engine: a graph manages
// one file two folders below a folder that holds many other entries (as
// /tmp, /var/lib or a home folder do); while `converge run` (the built CLI,
// its own process) watches it, this script makes and removes files in that
// busy folder, none of them managed. Reports the CPU time the converge
// process spent meanwhile, then checks that drift is still repaired.
// Writes bench/results/ancestor-churn.json.
//
//   node bench/ancestor-churn.mjs     # BENCH_ENTRIES=2000 BENCH_CHURN=1000
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const entries = Number(process.env.BENCH_ENTRIES ?? 2000);
const churn = Number(process.env.BENCH_CHURN ?? 1000);
/** A pause between two changes of the churn: changes spread out, as a build or a log makes them, each come alone. */
const paceMs = Number(process.env.BENCH_PACE_MS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'converge-bench-churn-'));
const busy = join(work, 'busy');
const managed = join(busy, 'app', 'conf', 'app.conf');
const content = 'listen = 127.0.0.1:8080\n';
mkdirSync(join(busy, 'app'), { recursive: true });
for (let i = 0; i < entries; i++) writeFileSync(join(busy, `resident-${i}`), 'x');
const graphFile = join(work, 'churn.yaml');
writeFileSync(
  graphFile,
  ['graph: churn', 'resources:', '  file:', `  - name: ${JSON.stringify(`${dirname(managed)}/`)}`, '    state: exists',
    `  - name: ${JSON.stringify(managed)}`, '    state: exists', `    content: ${JSON.stringify(content)}`, ''].join('\n'),
);

const engine = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'run', '--tmp-prefix', '--log-level=warn', graphFile], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
let gone = false;
const exited = new Promise((resolve) => engine.on('exit', (code, signal) => resolve({ code, signal }))).finally(() => (gone = true));
const ticks = Number(process.env.CLK_TCK ?? 100);
/** The converge process's CPU time so far (user + system), in ms. */
function cpuMs() {
  const fields = readFileSync(`/proc/${engine.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, test, limitMs) {
  const started = performance.now();
  while (!(await test())) {
    if (gone) throw new Error(`${what}: converge run exited`);
    if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(2);
  }
  return performance.now() - started;
}
const inPlace = async () => (await readFile(managed, 'utf8').catch(() => undefined)) === content;

try {
  await until('the first convergence', inPlace, 30_000);
  await sleep(500);
  const idleBefore = cpuMs();
  await sleep(1000);
  const idleMs = cpuMs() - idleBefore;
  const before = cpuMs();
  const started = performance.now();
  for (let i = 0; i < churn; i++) {
    await writeFile(join(busy, `churn-${i}`), 'y');
    await sleep(paceMs);
  }
  for (let i = 0; i < churn; i++) {
    await unlink(join(busy, `churn-${i}`));
    await sleep(paceMs);
  }
  const churnWallMs = performance.now() - started;
  // Whatever the engine still had to do about the churn.
  await sleep(1000);
  const churnCpuMs = cpuMs() - before - idleMs;
  await unlink(managed);
  const repairMs = await until('the repair after the churn', inPlace, 5_000);
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    residentEntries: entries,
    churnFiles: churn,
    paceMs,
    churnWallMs,
    churnCpuMs,
    idleCpuMsPerSecond: idleMs,
    repairAfterChurnMs: repairMs,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'ancestor-churn.json'), JSON.stringify(result, null, 2));
  console.log(
    `${churn} files made and removed ${paceMs} ms apart beside ${entries} entries, two folders above a managed file: ` +
      `converge spent ${churnCpuMs.toFixed(0)} ms CPU (the churn took ${churnWallMs.toFixed(0)} ms); repair after it ${repairMs.toFixed(1)} ms`,
  );
} finally {
  engine.kill('SIGTERM');
  const { code, signal } = await exited;
  rmSync(work, { recursive: true, force: true });
  if (code !== 0 && signal === null && code !== 130 && code !== 143) console.error(`converge run exited ${code}`);
}
