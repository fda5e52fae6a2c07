import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, graph } from '@converge/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { partialKind } from '../../engine/test/support/partial-kind.js';
import { EngineMetrics } from '../src/metrics/engine-metrics.js';
import { announcedUrl, until } from './support/http.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

/** Parses Prometheus text exposition (format 0.0.4): `# TYPE` lines and samples. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name!] = value!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
    }
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** The value of the one sample named `name` whose labels include `labels` (undefined if none). */
function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = exposition.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

function graphYaml(dir: string, second: 'b' | 'c'): string {
  return `graph: metrics
resources:
  file:
  - name: ${dir}/a.txt
    state: exists
    content: "alpha\\n"
  - name: ${dir}/${second}.txt
    state: exists
    content: "${second}\\n"
  exec:
  - name: broken
    cmd: /bin/false
`;
}

describe('converge run --prometheus', () => {
  it('counts checkApply results, durations, errors, watch events and swaps, and reports states', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, graphYaml(dir, 'b'));
    const a = `file[${dir}/a.txt]`;
    const b = `file[${dir}/b.txt]`;
    const c = `file[${dir}/c.txt]`;

    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', '--prometheus', '127.0.0.1:0', graph]);
    const url = await announcedUrl(cli, 'metrics');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    let metrics = await scrape(url);
    await until(async () => {
      metrics = await scrape(url);
      return valueOf(metrics, 'converge_converged') === 1;
    }, 'the graph to converge');

    expect(metrics.types.get('converge_checkapply_total')).toBe('counter');
    expect(metrics.types.get('converge_checkapply_duration_seconds')).toBe('histogram');
    expect(metrics.types.get('converge_resource_state')).toBe('gauge');
    expect(metrics.types.get('process_cpu_seconds_total')).toBe('counter'); // the process's own metrics too
    expect(valueOf(metrics, 'converge_checkapply_total', { resource: a, kind: 'file', result: 'changed' })).toBe(1);
    expect(valueOf(metrics, 'converge_checkapply_total', { resource: 'exec[broken]', kind: 'exec', result: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'converge_checkapply_errors_total', { resource: 'exec[broken]', code: 'ERR_RESOURCE_CHECK_APPLY' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'converge_resource_state', { resource: a, state: 'converged' })).toBe(1);
    expect(valueOf(metrics, 'converge_resource_state', { resource: a, state: 'failed' })).toBe(0);
    expect(valueOf(metrics, 'converge_resource_state', { resource: 'exec[broken]', state: 'failed' })).toBe(1);
    expect(valueOf(metrics, 'converge_graph_swaps_total')).toBe(1);
    expect(valueOf(metrics, 'converge_graph_resources')).toBe(3);
    // Every checkApply is timed: the histogram, by kind (QA: one per resource made 11.6 MB scrapes for 5,000 files), counts as many as the results do; each resource's time is a counter of seconds.
    const checksOf = (kind: string): number =>
      metrics.samples.filter((sample) => sample.name === 'converge_checkapply_total' && sample.labels['kind'] === kind).reduce((sum, sample) => sum + sample.value, 0);
    expect(valueOf(metrics, 'converge_checkapply_duration_seconds_count', { kind: 'file' })).toBe(checksOf('file'));
    expect(valueOf(metrics, 'converge_checkapply_duration_seconds_bucket', { kind: 'file', le: '+Inf' })).toBe(checksOf('file'));
    expect(metrics.samples.filter((sample) => sample.name.startsWith('converge_checkapply_duration_seconds') && 'resource' in sample.labels)).toEqual([]);
    expect(metrics.types.get('converge_checkapply_seconds_total')).toBe('counter');
    expect(valueOf(metrics, 'converge_checkapply_seconds_total', { resource: a, kind: 'file' })).toBeGreaterThan(0);
    const eventsOfA = valueOf(metrics, 'converge_watch_events_total', { resource: a, kind: 'file' }) ?? 0;
    expect(eventsOfA).toBeGreaterThanOrEqual(1);

    // Drift on a.txt: seen by its watch, repaired by one more change.
    await writeFile(`${dir}/a.txt`, 'drifted\n');
    await until(async () => {
      metrics = await scrape(url);
      return valueOf(metrics, 'converge_checkapply_total', { resource: a, result: 'changed' }) === 2;
    }, 'the drift to be repaired');
    expect(await readFile(`${dir}/a.txt`, 'utf8')).toBe('alpha\n');
    expect(valueOf(metrics, 'converge_watch_events_total', { resource: a })).toBeGreaterThan(eventsOfA);

    // A swap replaces b.txt by c.txt: b's state is gone, c's is there.
    await writeFile(graph, graphYaml(dir, 'c'));
    await until(async () => {
      metrics = await scrape(url);
      return valueOf(metrics, 'converge_resource_state', { resource: c, state: 'converged' }) === 1;
    }, 'the swapped-in resource to converge');
    expect(valueOf(metrics, 'converge_graph_swaps_total')).toBe(2);
    expect(valueOf(metrics, 'converge_resource_state', { resource: b, state: 'converged' })).toBeUndefined();
    // So are b's counters and histogram (QA: a series per resource that ever existed, growing with every reload), and a's stay.
    expect(metrics.samples.filter((sample) => sample.labels['resource'] === b)).toEqual([]);
    expect(valueOf(metrics, 'converge_checkapply_total', { resource: a, result: 'changed' })).toBe(2);
    expect(valueOf(metrics, 'converge_checkapply_seconds_total', { resource: a })).toBeGreaterThan(0);

    // Nothing but /metrics is served.
    expect((await fetch(url.replace(/\/metrics$/, '/'))).status).toBe(404);

    cli.child.kill('SIGINT');
    const result = await cli.result;
    expect(result.code).toBe(1); // exec[broken] failed
    expect(result.stderr).not.toContain('still running after shutdown');
  }, 60_000);

  it('refuses a malformed address as a usage error', async () => {
    const cli = startCli(['run', '--tmp-prefix', '--prometheus', '127.0.0.1:99999', 'examples/hello.yaml']);
    const result = await cli.result;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected HOST:PORT');
  });
});

describe('EngineMetrics of a grouped resource', () => {
  async function metricsOfGroup(noop: boolean): Promise<Exposition> {
    const stateDir = await mkdtemp(join(tmpdir(), 'converge-metrics-'));
    const engine = new Engine({ stateDir, convergerTimeout: 0, noop });
    const metrics = new EngineMetrics(engine);
    try {
      // A groupable kind, as pkg is: one checkApply for the group, which says
      // which members it changed (changedMembers) and fails for those named
      // `bad…` only (EngineError.members).
      const partial = partialKind();
      const g = graph('group');
      // `old` heads the group: the failure of `bad` and the change of `new` are theirs, not its.
      for (const item of ['old', 'bad', 'new']) g.resource(partial, item, { item }, { meta: { retry: 0 } });
      const converged = engine.whenConverged(AbortSignal.timeout(10_000));
      await engine.start(await g.build());
      await converged;
      expect(Object.fromEntries(engine.statuses().map((status) => [status.id, status.state]))).toEqual({
        'partial[old]': 'converged',
        'partial[bad]': 'failed',
        'partial[new]': 'converged',
      });
      return parseExposition((await metrics.scrape()).body);
    } finally {
      metrics.close();
      await engine.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  }

  const checksOf = (metrics: Exposition, resource: string): Record<string, number> =>
    Object.fromEntries(
      metrics.samples.filter((sample) => sample.name === 'converge_checkapply_total' && sample.labels['resource'] === resource).map((sample) => [sample.labels['result'], sample.value]),
    );

  it('counts each member by its own result, the failing one under its own name (QA: under the group\'s first)', async () => {
    const metrics = await metricsOfGroup(false);
    expect(checksOf(metrics, 'partial[old]')).toEqual({ converged: 1 });
    expect(checksOf(metrics, 'partial[bad]')).toEqual({ failed: 1 });
    expect(checksOf(metrics, 'partial[new]')).toEqual({ changed: 1 });
    expect(valueOf(metrics, 'converge_checkapply_errors_total', { resource: 'partial[bad]', code: 'ERR_RESOURCE_CHECK_APPLY' })).toBe(1);
    expect(valueOf(metrics, 'converge_checkapply_errors_total', { resource: 'partial[old]' })).toBeUndefined();
    // Each member's time is the group's call's; the call is timed once, by kind.
    for (const member of ['old', 'bad', 'new']) expect(valueOf(metrics, 'converge_checkapply_seconds_total', { resource: `partial[${member}]` })).toBeGreaterThan(0);
    expect(valueOf(metrics, 'converge_checkapply_duration_seconds_count', { kind: 'partial' })).toBe(1);
  });

  it('counts would_change for the members a dry run would change only', async () => {
    const metrics = await metricsOfGroup(true);
    expect(checksOf(metrics, 'partial[old]')).toEqual({ converged: 1 });
    expect(checksOf(metrics, 'partial[bad]')).toEqual({ failed: 1 });
    expect(checksOf(metrics, 'partial[new]')).toEqual({ would_change: 1 });
  });

  it('counts the grouped members of a real run, noop ones too (QA: hello.yaml\'s build and check had no series)', async () => {
    const cli = startCli(['run', '--noop', '--tmp-prefix', '--converger-timeout=0', '--prometheus', '127.0.0.1:0', 'examples/hello.yaml']);
    const url = await announcedUrl(cli, 'metrics');
    let metrics = await scrape(url);
    await until(async () => {
      metrics = await scrape(url);
      return valueOf(metrics, 'converge_converged') === 1;
    }, 'the graph to converge');
    for (const name of ['start', 'fetch', 'build', 'check', 'done']) {
      expect(valueOf(metrics, 'converge_checkapply_total', { resource: `noop[${name}]`, result: 'converged' }), name).toBeGreaterThanOrEqual(1);
    }
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  }, 30_000);
});
