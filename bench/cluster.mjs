// The several-hosts benchmark (issue 7), against a real etcd started here on
// free loopback ports:
//  1. export → collect: an exported `file` resource is written into the world
//     (as an exporting agent does after a swap); timed until the collecting
//     agent (a real `converge run --seeds` process) has written the file.
//  2. deploy propagation: `storeDeploy` of a graph setting a per-host kv;
//     timed until all BENCH_AGENTS agents (default 10) have applied it.
// Prints medians and writes bench/results/cluster.json.
//
//   npm run build && node bench/cluster.mjs
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { clusterKeys, EtcdWorld, kvWorldKey, storeDeploy } from '@converge/engine';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'packages', 'cli', 'dist', 'bin.js');
const agentCount = Number(process.env.BENCH_AGENTS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'converge-bench-cluster-'));
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const children = [];

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startEtcd() {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  children.push(
    spawn('etcd', [
      '--name=m1', `--data-dir=${join(work, 'etcd')}`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=m1=http://127.0.0.1:${peer}`, '--log-level=error',
    ], { stdio: 'ignore' }),
  );
  for (;;) {
    try {
      if ((await (await fetch(`${url}/health`)).json()).health === 'true') return url;
    } catch {}
    await sleep(100);
  }
}

function startAgent(seeds, host, graph) {
  const child = spawn(process.execPath, [bin, 'run', '--tmp-prefix', `--seeds=${seeds}`, `--hostname=${host}`, '--converger-timeout=1', ...(graph ? [graph] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  return { waitFor: async (pattern) => { while (!pattern.test(output)) await sleep(20); } };
}

async function until(check) {
  while (!(await check())) await sleep(5);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const seeds = await startEtcd();
  const world = new EtcdWorld({ hostname: 'bench', seeds: [seeds], log: silent });

  // 1. export → collect
  const collectDir = join(work, 'collected');
  mkdirSync(collectDir);
  const collector = join(work, 'collector.yaml');
  writeFileSync(collector, `graph: collector\ncollect:\n  - kind: file\n    pattern: "${collectDir}/*"\nresources: {}\n`);
  const h2 = startAgent(seeds, 'bench-h2', collector);
  await h2.waitFor(/graph collector/);
  const collect = [];
  for (let run = 0; run < runs; run++) {
    const path = join(collectDir, `f${run}.txt`);
    const record = { host: 'bench-h1', kind: 'file', name: path, params: { path, state: 'exists', content: 'x' }, meta: {}, to: ['*'] };
    const started = performance.now();
    await world.set(clusterKeys.exported('bench-h1', 'file', path), JSON.stringify(record));
    await until(() => existsSync(path));
    collect.push(performance.now() - started);
  }

  // 2. deploy propagation to N agents (each sets its own kv entry)
  const agents = Array.from({ length: agentCount }, (_, index) => startAgent(seeds, `bench-a${index}`));
  await Promise.all(agents.map((agent) => agent.waitFor(/waiting for deploys/)));
  const deploys = [];
  for (let run = 0; run < runs; run++) {
    const text = `graph: bench${run}\nresources:\n  kv:\n    - name: deployed\n      value: "v${run}"\n      mapped: true\n`;
    const started = performance.now();
    await storeDeploy(world, text, `bench${run}.yaml`);
    await until(async () => {
      const values = await world.list('kvmap/deployed/');
      return agents.every((_, index) => values.get(kvWorldKey('deployed', true, `bench-a${index}`)) === `v${run}`);
    });
    deploys.push(performance.now() - started);
  }
  await world.close();

  const result = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.version,
    runs,
    agents: agentCount,
    exportToCollectedMs: { median: median(collect), all: collect.map(Math.round) },
    deployToAllAgentsMs: { median: median(deploys), all: deploys.map(Math.round) },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`export → collected file on another host: median ${result.exportToCollectedMs.median.toFixed(0)} ms (${result.exportToCollectedMs.all.join(', ')})`);
  console.log(`deploy → applied by all ${agentCount} agents: median ${result.deployToAllAgentsMs.median.toFixed(0)} ms (${result.deployToAllAgentsMs.all.join(', ')})`);
} finally {
  for (const child of children.reverse()) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
    clearTimeout(timer);
  }
  rmSync(work, { recursive: true, force: true });
}
