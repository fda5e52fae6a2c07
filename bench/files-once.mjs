// One measurement of bench/files.mjs in a fresh process (so no warm caches,
// watchers or heap from another run): either the real engine on a graph of
// file resources, or a plain fs script doing the same work. Prints JSON.
//
//   node bench/files-once.mjs engine|engine-once|plain-async|plain-sync|plain-durable|plain-durable-sync cold|idempotent TREE.json GRAPH.yaml
//
// engine-once is the engine as a one-shot run uses it (`--converged-exit` at
// converger timeout 0): nothing watched, every resource checked once. The
// engine modes run with the V8 settings the converge command sets for itself
// (@converge/cli/v8-tiering), applied as the command applies them: before
// the engine is loaded. The plain scripts run as plain scripts do, with
// Node's defaults. BENCH_V8_DEFAULTS=1 runs the engine with the defaults too.
import { chmodSync, closeSync, constants, fchmodSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIR_MODE, FILE_MODE } from './file-tree.mjs';

const [mode, phase, treeFile, graphFile] = process.argv.slice(2);
const engineMode = mode === 'engine' || mode === 'engine-once';
if (engineMode && process.env.BENCH_V8_DEFAULTS !== '1') (await import('@converge/cli/v8-tiering')).tuneV8Tiering();
const { Engine, loadGraphFile } = engineMode ? await import('@converge/engine') : {};
const tree = JSON.parse(readFileSync(treeFile, 'utf8'));

const isMissing = (error) => error?.code === 'ENOENT';

/** Writes as res-file must (crash-safe): temp file beside the target, fsync, rename, fsync the directory. */
async function writeDurably(path, data) {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'wx', FILE_MODE);
  await handle.chmod(FILE_MODE);
  await handle.writeFile(data);
  await handle.sync();
  await handle.close();
  await rename(temp, path);
  const dir = await open(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  await dir.sync();
  await dir.close();
}

/** writeDurably, one synchronous call after the other. */
function writeDurablySync(path, data) {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'wx', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** The plain baseline, async: directories in order, then every file at once (as the engine runs them). */
async function plainAsync(durable) {
  let changes = 0;
  for (const dir of tree.dirs) {
    const found = await stat(dir).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
    if (found?.isDirectory() && (found.mode & 0o7777) === DIR_MODE) continue;
    if (!found) await mkdir(dir, { mode: DIR_MODE });
    await chmod(dir, DIR_MODE);
    changes++;
  }
  const results = await Promise.all(
    tree.files.map(async (file) => {
      const want = Buffer.from(file.content);
      const have = await readFile(file.path).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
      if (have?.equals(want) && ((await stat(file.path)).mode & 0o7777) === FILE_MODE) return 0;
      if (durable) {
        await writeDurably(file.path, want);
        return 1;
      }
      await writeFile(file.path, want, { mode: FILE_MODE });
      await chmod(file.path, FILE_MODE);
      return 1;
    }),
  );
  return changes + results.reduce((a, b) => a + b, 0);
}

/** The plain baseline, as most scripts are written: one file after the other, synchronous calls. */
function plainSync(durable) {
  let changes = 0;
  const tryStat = (path) => {
    try {
      return statSync(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };
  for (const dir of tree.dirs) {
    const found = tryStat(dir);
    if (found?.isDirectory() && (found.mode & 0o7777) === DIR_MODE) continue;
    if (!found) mkdirSync(dir, { mode: DIR_MODE });
    chmodSync(dir, DIR_MODE);
    changes++;
  }
  for (const file of tree.files) {
    const want = Buffer.from(file.content);
    let have;
    try {
      have = readFileSync(file.path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (have?.equals(want) && (statSync(file.path).mode & 0o7777) === FILE_MODE) continue;
    changes++;
    if (durable) {
      writeDurablySync(file.path, want);
      continue;
    }
    writeFileSync(file.path, want, { mode: FILE_MODE });
    chmodSync(file.path, FILE_MODE);
  }
  return changes;
}

async function engineRun(watch) {
  const stateDir = mkdtempSync(join(tmpdir(), 'converge-bench-state-'));
  try {
    const t0 = performance.now();
    const graph = await loadGraphFile(graphFile);
    const t1 = performance.now();
    const engine = new Engine({ stateDir, convergerTimeout: 0, watch });
    const t2 = performance.now();
    await engine.start(graph);
    const t3 = performance.now();
    await engine.whenConverged();
    const t4 = performance.now();
    const statuses = engine.statuses();
    const failures = engine.failures().map((error) => error.message);
    await engine.stop();
    const t5 = performance.now();
    return {
      loadMs: t1 - t0,
      startCallMs: t3 - t2,
      ms: t4 - t2,
      stopMs: t5 - t4,
      changes: statuses.reduce((sum, status) => sum + status.changes, 0),
      failures: failures.length,
      firstFailure: failures[0],
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

let result;
if (engineMode) {
  result = await engineRun(mode === 'engine');
} else {
  const t0 = performance.now();
  const durable = mode === 'plain-durable' || mode === 'plain-durable-sync';
  const changes = mode === 'plain-sync' || mode === 'plain-durable-sync' ? plainSync(durable) : await plainAsync(durable);
  result = { ms: performance.now() - t0, changes };
}
console.log(JSON.stringify({ mode, phase, ...result, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
