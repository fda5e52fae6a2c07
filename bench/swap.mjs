// Graph swap: a running graph of N noop resources (ungrouped) replaced by
// one that differs in 1% (changed params), 1% removed and 1% added. Times
// engine.swap() from call to return, median of several swaps; also the
// autogroup pass on 1,000 groupable resources. Prints Markdown rows.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoGroup, Engine, noopResource, planGraph } from '@converge/engine';
import { DEFAULT_META } from '@converge/engine-api';

const kinds = new Map([['noop', noopResource]]);
const ungrouped = { ...DEFAULT_META, autogroup: false };

function graph(count, version) {
  const resources = new Map();
  const changed = Math.floor(count / 100);
  for (let i = 0; i < count; i++) {
    // Each version changes one block of 1%, drops another and adds a third.
    if (version > 0 && i >= count - changed * version && i < count - changed * (version - 1)) continue;
    const id = `noop[n${i}]`;
    const comment = i < changed ? `v${version}` : 'same';
    resources.set(id, { id, kind: 'noop', name: `n${i}`, params: { comment }, meta: ungrouped });
  }
  for (let i = 0; i < changed * version; i++) {
    const id = `noop[added${i}]`;
    resources.set(id, { id, kind: 'noop', name: `added${i}`, params: {}, meta: ungrouped });
  }
  const edges = [];
  for (let i = 1; i < count / 2; i++) edges.push({ from: `noop[n${i - 1}]`, to: `noop[n${i}]`, notify: false, origin: 'explicit' });
  return { name: 'swap', file: '<bench>', resources, edges, kinds };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const results = [];
for (const count of [1000, 10000]) {
  const engine = new Engine({ stateDir: mkdtempSync(join(tmpdir(), 'converge-swap-')), convergerTimeout: 0 });
  await engine.start(graph(count, 0));
  await engine.whenConverged();
  const times = [];
  for (let version = 1; version <= 7; version++) {
    const next = graph(count, version);
    const started = performance.now();
    await engine.swap(next);
    times.push(performance.now() - started);
    await engine.whenConverged();
  }
  await engine.stop();
  results.push({ count, swapMs: median(times) });
  console.error(`swap ${count}: median ${median(times).toFixed(1)} ms over ${times.length} swaps`);
}

// Autogroup of 1,000 groupable resources (noops group), half of them in chains.
const groupable = new Map();
for (let i = 0; i < 1000; i++) groupable.set(`noop[g${i}]`, { id: `noop[g${i}]`, kind: 'noop', name: `g${i}`, params: {}, meta: DEFAULT_META });
const groupEdges = [];
for (let i = 1; i < 500; i += 2) groupEdges.push({ from: `noop[g${i - 1}]`, to: `noop[g${i}]`, notify: false, origin: 'explicit' });
const groupTimes = [];
for (let round = 0; round < 9; round++) {
  const started = performance.now();
  autoGroup(groupable, kinds, groupEdges);
  groupTimes.push(performance.now() - started);
}
const plan = planGraph({ name: 'g', file: '<bench>', resources: groupable, edges: groupEdges, kinds });
console.error(`autogroup 1000: median ${median(groupTimes).toFixed(1)} ms, ${plan.resources.size} vertices after grouping`);

console.log('| what | N | median (ms) |\n|---|---:|---:|');
for (const row of results) console.log(`| swap, 1% changed + 1% removed + 1% added | ${row.count} | ${row.swapMs.toFixed(1)} |`);
console.log(`| autogroup pass | 1000 | ${median(groupTimes).toFixed(1)} |`);
