import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { kvWorldKey } from '@converge/engine';
import { EtcdWorld } from '@converge/engine/etcd';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcdCluster, type EtcdCluster } from '../../engine/test/support/etcd-members.js';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli, type CliProcess } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

/**
 * Several real `converge` agents on one machine, coordinating through a real
 * etcd cluster (three members) started by the test.
 */
const available = etcdAvailable();
if (!available) console.warn('etcd is not installed: skipping the cluster tests (tools/ci/setup/etcd.packages)');

async function eventuallyContent(path: string, expected: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < deadline) {
    last = await readFile(path, 'utf8').catch(() => undefined);
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} holds ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
}

const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first server-sent `graph` event of a stream (the web view's snapshot). */
async function firstEvent(url: string): Promise<string> {
  const reading = new AbortController();
  const response = await fetch(url, { signal: reading.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const graphEvent = /^event: graph\n[^]*?\n\n/m;
  while (!graphEvent.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reading.abort();
  return graphEvent.exec(text)?.[0] ?? text;
}

function agent(etcd: EtcdCluster, host: string, graph?: string, extra: readonly string[] = []): CliProcess {
  return startCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, `--hostname=${host}`, '--converger-timeout=1', ...extra, ...(graph ? [graph] : [])]);
}

/** A one-member cluster whose member is stopped, and an agent started on it with a graph of one noop, `noop[a]`. */
async function agentWhileEtcdAway(host: string, graphName: string, extra: readonly string[] = []): Promise<{ etcd: EtcdCluster; h1: CliProcess }> {
  const etcd = await startEtcdCluster(1);
  await etcd.members[0]?.stop();
  const dir = await makeTempDir();
  const graph = await writeGraph(dir, 'graph.yaml', `graph: ${graphName}\nresources:\n  noop:\n    - name: a\n`);
  return { etcd, h1: agent(etcd, host, graph, extra) };
}

async function stopAgent(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  const timer = setTimeout(() => cli.kill(), 5000);
  await cli.result;
  clearTimeout(timer);
}

describe.skipIf(!available)('converge agents sharing a real etcd cluster', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster(3);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    killAll();
    await removeTempDirs();
  });

  it('says when another converge runs with the same --hostname (both runs), and not when it takes over from its own run killed a moment ago; the last to publish keeps its exports (QA: they deleted each other\'s until neither had any)', async () => {
    const dir = await makeTempDir();
    const exporting = (name: string): string =>
      `graph: twin\nresources:\n  file:\n    - name: ${join(dir, name)}\n      state: exists\n      content: "${name}"\n      meta: {export: ["*"], hidden: true}\n`;
    const graph = await writeGraph(dir, 'x.yaml', exporting('x.txt'));
    const first = agent(etcd, 'twin-h1', graph);
    await first.waitFor(/joined the cluster/);
    await first.waitFor(/graph twin: 1 resource/);
    // Killed: its status lives on for its lease, and its exports stay, while the next run of this host starts.
    first.kill();
    await first.result;
    const restarted = agent(etcd, 'twin-h1', graph);
    await restarted.waitFor(/joined the cluster/);
    await restarted.waitFor(/graph twin: 1 resource/);
    await sleep(1500);
    expect(restarted.stderr).not.toContain('another converge runs');
    const twin = agent(etcd, 'twin-h1', await writeGraph(dir, 'y.yaml', exporting('y.txt')));
    await restarted.waitFor(/another converge runs as host twin-h1/, 20_000);
    await twin.waitFor(/another converge runs as host twin-h1/, 20_000);
    const world = new EtcdWorld({ hostname: 'twin-check', seeds: etcd.clientUrls, namespace: '/converge/', log: silentLog });
    try {
      await sleep(3000);
      const names = async (): Promise<string[]> => [...(await world.list('exports/twin-h1/')).keys()].map((key) => decodeURIComponent(key.split('/').pop() ?? ''));
      const settled = await names();
      await sleep(2000);
      expect(await names()).toEqual(settled);
      expect(settled).toEqual([join(dir, 'y.txt')]);
    } finally {
      await world.close();
    }
    expect(first.stderr).not.toContain('another converge runs');
    expect(restarted.stderr.match(/another converge runs/g)).toHaveLength(1);
    expect(twin.stderr.match(/another converge runs/g)).toHaveLength(1);
    await Promise.all([stopAgent(restarted), stopAgent(twin)]);
  }, 90_000);

  it('share a value: kv on one host, read by another and sent into a file', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'from-h1.txt');
    const writer = await writeGraph(
      dir,
      'writer.yaml',
      'graph: writer\nresources:\n  kv:\n    - name: greeting\n      value: "hello from h1"\n',
    );
    const reader = await writeGraph(
      dir,
      'reader.yaml',
      [
        'graph: reader',
        'resources:',
        '  kv:',
        '    - name: greeting',
        '      state: read',
        '  file:',
        `    - name: ${target}`,
        '      state: exists',
        '      content: "waiting"',
        'edges:',
        '  - from: {kind: kv, name: greeting}',
        `    to: {kind: file, name: ${target}}`,
        '    send: value',
        '    recv: content',
        '',
      ].join('\n'),
    );
    const h2 = agent(etcd, 'share-h2', reader);
    await eventuallyContent(target, 'waiting');
    const h1 = agent(etcd, 'share-h1', writer);
    await eventuallyContent(target, 'hello from h1');
    await Promise.all([stopAgent(h1), stopAgent(h2)]);
  }, 40_000);

  it('reload their graph file when it is saved and on SIGHUP, as a single host does', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'reloaded.txt');
    const graphText = (content: string): string => `graph: reload\nresources:\n  file:\n    - name: ${target}\n      state: exists\n      content: "${content}"\n`;
    const graph = await writeGraph(dir, 'graph.yaml', graphText('first'));
    const h1 = agent(etcd, 'reload-h1', graph);
    await eventuallyContent(target, 'first');
    await writeFile(graph, graphText('saved'));
    await eventuallyContent(target, 'saved');
    await h1.waitFor(/reloaded .*graph.yaml: 1 resource,/);

    const quiet = agent(etcd, 'reload-h2', graph, ['--no-watch']);
    await quiet.waitFor(/graph reload: 1 resource /);
    await writeFile(graph, graphText('after hangup'));
    await eventuallyContent(target, 'after hangup');
    quiet.child.kill('SIGHUP');
    await quiet.waitFor(/SIGHUP: reloading the graph/);
    await quiet.waitFor(/reloaded .*graph.yaml: 1 resource,/);
    expect(quiet.child.exitCode).toBeNull();
    await Promise.all([stopAgent(h1), stopAgent(quiet)]);
    for (const cli of [h1, quiet]) expect((await cli.result).code).toBe(0);
  }, 40_000);

  it('serve the web view and the metrics with --ui and --prometheus, as a single host does (QA: both were ignored with --seeds)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'observed.yaml', 'graph: observed\nresources:\n  noop:\n    - name: a\n    - name: b\n');
    const h1 = agent(etcd, 'observed-h1', graph, ['--ui=127.0.0.1:0', '--prometheus=127.0.0.1:0']);
    await h1.waitFor(/converged: noop\[a\]/);
    const ui = /web view at (http:\/\/127\.0\.0\.1:\d+)/.exec(h1.stderr)?.[1];
    const metrics = /metrics at (http:\/\/127\.0\.0\.1:\d+\S*)/.exec(h1.stderr)?.[1];
    expect(ui).toBeDefined();
    expect(metrics).toBeDefined();
    expect(await firstEvent(`${ui}/events`)).toMatch(/^event: graph\ndata: .*"observed on observed-h1".*"noop\[b\]"/);
    const scraped = await (await fetch(metrics as string)).text();
    expect(scraped).toMatch(/converge_resource_state\{[^}]*resource="noop\[a\]"[^}]*state="converged"[^}]*\} 1/);
    await stopAgent(h1);
    expect((await h1.result).code).toBe(0);
    // Once the agent is gone, nothing listens there any more.
    await expect(fetch(metrics as string)).rejects.toThrow();
  }, 40_000);

  it('wait with --converged-exit until every host has settled: exit 1 when a host has failures, or when stopped first', async () => {
    const dir = await makeTempDir();
    const failing = await writeGraph(dir, 'failing.yaml', 'graph: failing\nresources:\n  exec:\n    - name: fails\n      cmd: /bin/false\n');
    const h1 = agent(etcd, 'settle-h1', failing);
    await h1.waitFor(/failed: exec\[fails\]/);
    const ok = await writeGraph(dir, 'ok.yaml', 'graph: ok\nresources:\n  noop:\n    - name: fine\n');
    const waiter = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=settle-h2', '--converger-timeout=0', '--converged-exit', ok], {
      timeoutMs: 20_000,
    });
    expect(waiter.stderr).toContain('the cluster has settled with failed resources: settle-h1 (1 failed)');
    expect(waiter.code).toBe(1);

    // A host that never converges (a command still running) holds the cluster back: stopped, the waiter says so and exits 1.
    const slow = await writeGraph(dir, 'slow.yaml', 'graph: slow\nresources:\n  exec:\n    - name: long\n      cmd: sleep 30\n      shell: /bin/sh\n');
    const h3 = agent(etcd, 'settle-h3', slow);
    await h3.waitFor(/graph slow: 1 resource /);
    const stopped = agent(etcd, 'settle-h4', ok, ['--converged-exit']);
    await stopped.waitFor(/joined the cluster/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stopped.child.kill('SIGTERM');
    const result = await stopped.result;
    expect(result.stderr).toContain('stopped before the cluster converged');
    expect(result.stderr).not.toContain('the cluster has converged');
    expect(result.code).toBe(1);
    await Promise.all([stopAgent(h1), stopAgent(h3)]);
  }, 60_000);

  it('publish their graph, resources and failures with the default converger timeout, as they change (QA: 0 resources and no graph for as long as the host ran)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'plain.yaml', 'graph: plain\nresources:\n  noop:\n    - name: a\n    - name: b\n');
    // No --converger-timeout: converged is never told, so nothing but a change of what it tells republishes the status.
    const host = startCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=plain-h1', graph]);
    const hostStatus = async (): Promise<{ graph?: string; resources: number; failed: number } | undefined> => {
      const listed = await runCli(['status', `--seeds=${etcd.seeds}`, '--json']);
      return (JSON.parse(listed.stdout) as { hosts: Array<{ host: string; graph?: string; resources: number; failed: number }> }).hosts.find(
        (each) => each.host === 'plain-h1',
      );
    };
    await host.waitFor(/graph plain: 2 resources/);
    await eventually(async () => (await hostStatus())?.resources === 2);
    expect(await hostStatus()).toMatchObject({ graph: 'plain', resources: 2, failed: 0 });
    await writeFile(graph, `graph: plain\nresources:\n  exec:\n    - name: fails\n      cmd: /bin/false\n`);
    await host.waitFor(/failed: exec\[fails\]/);
    await eventually(async () => (await hostStatus())?.failed === 1);
    expect(await hostStatus()).toMatchObject({ graph: 'plain', resources: 1, failed: 1 });
    // One resource, in words (QA: "1 resources").
    expect((await runCli(['status', `--seeds=${etcd.seeds}`])).stdout).toMatch(/^plain-h1\t1 failed\tplain\t1 resource$/m);
    await stopAgent(host);
  }, 40_000);

  it("collect a hidden export back on the host that exports it, as mgmt's graphs expect, and on the others", async () => {
    const dir = await makeTempDir();
    const inbox = (host: string): string => join(dir, `inbox-${host}`);
    // mgmt's way: a hidden file exported to all, and every host collects the files into its own folder.
    const graph = (host: string): string =>
      [
        `graph: hidden-${host}`,
        'resources:',
        '  file:',
        `    - name: ${inbox(host)}/`,
        '      state: exists',
        `    - name: from-${host}`,
        `      path: ${join(dir, 'nowhere', `from-${host}`)}`,
        '      state: exists',
        `      content: "made by ${host}"`,
        "      meta: {hidden: true, export: ['*']}",
        'collect:',
        '  - kind: file',
        `    pattern: "${inbox(host)}/"`,
        '',
      ].join('\n');
    const h1 = agent(etcd, 'hid-h1', await writeGraph(dir, 'h1.yaml', graph('hid-h1')));
    await eventuallyContent(join(inbox('hid-h1'), 'from-hid-h1'), 'made by hid-h1');
    const h2 = agent(etcd, 'hid-h2', await writeGraph(dir, 'h2.yaml', graph('hid-h2')));
    await eventuallyContent(join(inbox('hid-h2'), 'from-hid-h1'), 'made by hid-h1');
    await eventuallyContent(join(inbox('hid-h1'), 'from-hid-h2'), 'made by hid-h2');
    await eventuallyContent(join(inbox('hid-h2'), 'from-hid-h2'), 'made by hid-h2');
    // Hidden where it is written: never applied at its own path.
    await expect(readFile(join(dir, 'nowhere', 'from-hid-h1'), 'utf8')).rejects.toThrow(/ENOENT/);
    await Promise.all([stopAgent(h1), stopAgent(h2)]);
  }, 40_000);

  it('publish a hidden export that another host exports too, and the first host by name wins (QA: a host that collected the other copy withdrew its own)', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'm'));
    const same = join(dir, 'm', 'same.txt');
    const graph = (name: string, from?: string): string =>
      [
        `graph: ${name}`,
        'resources:',
        '  noop:',
        '    - name: keep',
        ...(from ? ['  file:', `    - name: ${same}`, '      state: exists', `      content: "from ${from}"`, '      meta: {export: ["*"], hidden: true}'] : []),
        'collect:',
        '  - kind: file',
        `    pattern: "${join(dir, 'm')}/*"`,
        '',
      ].join('\n');
    const hb = agent(etcd, 'same-hb', await writeGraph(dir, 'hb.yaml', graph('same-b', 'same-hb')));
    const haGraph = await writeGraph(dir, 'ha.yaml', graph('same-a'));
    const ha = agent(etcd, 'same-ha', haGraph);
    await ha.waitFor(/graph same-a: 2 resources \(1 collected\)/);
    await eventuallyContent(same, 'from same-hb');
    // ha now exports the same file, hidden: it sorts first, so both hosts collect its copy.
    await writeFile(haGraph, graph('same-a', 'same-ha'));
    await eventuallyContent(same, 'from same-ha');
    const world = new EtcdWorld({ hostname: 'test', seeds: etcd.clientUrls, log: silentLog });
    try {
      const stored = [...(await world.list('exports/same-h')).keys()];
      expect(stored.sort()).toEqual(['same-ha', 'same-hb'].map((host) => `exports/${host}/file/${encodeURIComponent(same)}`));
    } finally {
      await world.close();
    }
    await Promise.all([stopAgent(ha), stopAgent(hb)]);
  }, 40_000);

  it('count no collected resources when they were rejected (QA: "1 resource (1 collected)" after running without them)', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'x.txt');
    // The collected file manages the path that the collector's own file does: rejected.
    const collector = await writeGraph(
      dir,
      'collector.yaml',
      `graph: rej-collector\nresources:\n  file:\n    - name: mine\n      path: ${target}\n      state: exists\n      content: "mine"\ncollect:\n  - kind: file\n    pattern: "${dir}/*"\n`,
    );
    const exporter = await writeGraph(
      dir,
      'exporter.yaml',
      `graph: rej-exporter\nresources:\n  file:\n    - name: ${target}\n      state: exists\n      content: "exported"\n      meta: {export: [rej-h2], hidden: true}\n`,
    );
    const h2 = agent(etcd, 'rej-h2', collector);
    await h2.waitFor(/graph rej-collector: 1 resource \(0 collected\)/);
    const h1 = agent(etcd, 'rej-h1', exporter);
    const afterRejection = /rejected; running rej-collector without them[^]*graph rej-collector: 1 resource \((\d+) collected\)/;
    await h2.waitFor(afterRejection);
    expect(afterRejection.exec(h2.stderr)?.[1]).toBe('0');
    await Promise.all([stopAgent(h1), stopAgent(h2)]);
  }, 40_000);

  it('exchange exported resources: collected files appear and disappear live', async () => {
    const dir = await makeTempDir();
    const exported = join(dir, 'exported-by-h1.txt');
    const exporter = (withExport: boolean): string =>
      [
        'graph: exporter',
        'resources:',
        '  noop:',
        '    - name: keep',
        ...(withExport ? ['  file:', `    - name: ${exported}`, '      state: exists', '      content: "defined by h1"', '      meta: {export: [xc-h2]}'] : []),
        '',
      ].join('\n');
    const collector = await writeGraph(dir, 'collector.yaml', `graph: collector\ncollect:\n  - kind: file\n    pattern: "${dir}/*"\nresources: {}\n`);
    const h2 = agent(etcd, 'xc-h2', collector);
    const h3 = agent(etcd, 'xc-h3', collector);
    await Promise.all([h2.waitFor(/graph collector: 0 resources/), h3.waitFor(/graph collector: 0 resources/)]);
    const h1 = agent(etcd, 'xc-h1', await writeGraph(dir, 'h1.yaml', exporter(true)));
    await h2.waitFor(/graph collector: 1 resource \(1 collected\)/);
    await eventuallyContent(exported, 'defined by h1');
    // Exported to xc-h2 only.
    expect(h3.stderr).not.toMatch(/1 collected/);

    // With h1 stopped, its export stays in the world: h2 alone keeps the file as h1 defined it.
    await stopAgent(h1);
    await rm(exported);
    await eventuallyContent(exported, 'defined by h1');

    // h1 comes back no longer exporting it: h2 swaps the collected file out and stops managing it.
    const before = h2.stderr.length;
    const h1b = agent(etcd, 'xc-h1', await writeGraph(dir, 'h1b.yaml', exporter(false)));
    // h2 runs the collector graph with nothing collected again (told after h1b came back:
    // other agents' exports, from earlier tests, may make it rebuild meanwhile).
    await eventually(async () => /graph collector: 0 resources \(0 collected\)/.test(h2.stderr.slice(before)));
    await rm(exported);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expect(readFile(exported, 'utf8')).rejects.toThrow(/ENOENT/);
    await Promise.all([stopAgent(h1b), stopAgent(h2), stopAgent(h3)]);
  }, 40_000);

  it('warn once at the collector when two hosts export one kind[name] with different params, naming both (QA: the first host by name won silently)', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'clash.txt');
    const other = join(dir, 'other.txt');
    const exporter = (content: string, extra = ''): string =>
      `graph: clash\nresources:\n  file:\n    - name: ${target}\n      state: exists\n      content: "${content}"\n      meta: {export: ["*"], hidden: true}\n${extra}`;
    const collector = await writeGraph(dir, 'collector.yaml', `graph: collector\ncollect:\n  - kind: file\n    pattern: "${dir}/*"\nresources: {}\n`);
    const h2 = agent(etcd, 'clash-h2', await writeGraph(dir, 'h2.yaml', exporter('from h2')));
    const h1 = agent(etcd, 'clash-h1', await writeGraph(dir, 'h1.yaml', exporter('from h1')));
    await Promise.all([h1.waitFor(/joined the cluster/), h2.waitFor(/joined the cluster/)]);
    const c = agent(etcd, 'clash-c', collector);
    await eventuallyContent(target, 'from h1');
    const told = new RegExp(`collector\\.yaml:3:5: warning: file\\[${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]: exported by clash-h1 and by clash-h2 with different params: clash-h1's is collected \\(the first host by name wins\\), clash-h2's is left out`, 'g');
    await c.waitFor(told);
    // More exports come and go: the collector rebuilds, and does not say it again.
    const before = c.stderr.length;
    await writeFile(join(dir, 'h2.yaml'), exporter('from h2', `    - name: ${other}\n      state: exists\n      content: "other"\n      meta: {export: ["*"], hidden: true}\n`));
    await eventuallyContent(other, 'other');
    await eventually(async () => /graph collector: 2 resources \(2 collected\)/.test(c.stderr.slice(before)));
    expect(c.stderr.match(told)).toHaveLength(1);
    expect(await readFile(target, 'utf8')).toBe('from h1');
    await Promise.all([stopAgent(h1), stopAgent(h2), stopAgent(c)]);
  }, 60_000);

  it('put back their exports when another client deletes or rewrites them while they run (QA: a retire during a pause, or etcdctl del, left them gone for good)', async () => {
    const dir = await makeTempDir();
    const exported = join(dir, 'from-pb-h1.txt');
    const graph = await writeGraph(dir, 'h1.yaml', ['graph: exporter', 'resources:', '  file:', `    - name: ${exported}`, '      state: exists', '      content: "by pb-h1"', '      meta: {export: ["*"]}', ''].join('\n'));
    const h1 = agent(etcd, 'pb-h1', graph);
    const world = new EtcdWorld({ hostname: 'pb-check', seeds: etcd.clientUrls, namespace: '/converge/', log: silentLog });
    try {
      const key = `exports/pb-h1/file/${encodeURIComponent(exported)}`;
      await eventually(async () => (await world.get(key)) !== undefined);
      const published = await world.get(key);
      await world.delete(key);
      await eventually(async () => (await world.get(key)) === published);
      await world.set(key, '{"host":"pb-h1","kind":"file","name":"x","params":{},"meta":{},"to":["*"]}');
      await eventually(async () => (await world.get(key)) === published);
    } finally {
      await world.close();
    }
    await stopAgent(h1);
  }, 60_000);

  it('retire a host that is gone: its exports leave the world and collectors drop them; refused while it runs', async () => {
    const dir = await makeTempDir();
    const exported = join(dir, 'from-rt-h1.txt');
    const exporter = await writeGraph(dir, 'h1.yaml', ['graph: exporter', 'resources:', '  file:', `    - name: ${exported}`, '      state: exists', '      content: "by rt-h1"', '      meta: {export: ["*"], hidden: true}', ''].join('\n'));
    const collector = await writeGraph(dir, 'collector.yaml', `graph: collector\ncollect:\n  - kind: file\n    pattern: "${dir}/*"\nresources: {}\n`);
    const h2 = agent(etcd, 'rt-h2', collector);
    const h1 = agent(etcd, 'rt-h1', exporter);
    await eventuallyContent(exported, 'by rt-h1');

    const whileRunning = await runCli(['retire', 'rt-h1', `--seeds=${etcd.seeds}`]);
    expect(whileRunning.code).toBe(2);
    expect(whileRunning.stderr).toMatch(/rt-h1 is running \(its status is live in the cluster; one that just died keeps it about 5 s more\): stop it first, then retire it/);

    await stopAgent(h1);
    const world = new EtcdWorld({ hostname: 'rt-check', seeds: etcd.clientUrls, namespace: '/converge/', log: silentLog });
    try {
      expect((await world.list('exports/rt-h1/')).size).toBe(1);
      const before = h2.stderr.length;
      const retired = await runCli(['retire', 'rt-h1', `--seeds=${etcd.seeds}`]);
      expect([retired.code, retired.stdout]).toEqual([0, 'rt-h1: 1 export removed\n']);
      expect((await world.list('exports/rt-h1/')).size).toBe(0);
      // The collector swaps the file out: it no longer puts it back.
      await eventually(async () => /graph collector: 0 resources \(0 collected\)/.test(h2.stderr.slice(before)));
      expect((await runCli(['retire', 'rt-h1', `--seeds=${etcd.seeds}`])).stdout).toBe('rt-h1: nothing to remove\n');
    } finally {
      await world.close();
    }
    await stopAgent(h2);
  }, 60_000);

  it('run a deploy on three agents, swap to the next, and report cluster convergence', async () => {
    const dir = await makeTempDir();
    const hosts = ['d-h1', 'd-h2', 'd-h3'];
    const deployGraph = (n: number): string =>
      [
        `graph: deploy${n}`,
        'resources:',
        '  kv:',
        '    - name: deployed',
        `      value: "v${n}"`,
        '      mapped: true',
        '  file:',
        `    - name: ${join(dir, `deploy${n}.txt`)}`,
        '      state: exists',
        `      content: "deploy ${n}"`,
        '',
      ].join('\n');
    const world = new EtcdWorld({ hostname: 'test', seeds: etcd.clientUrls, log: silentLog });
    const deployedValues = async (): Promise<(string | undefined)[]> =>
      Promise.all(hosts.map((host) => world.get(kvWorldKey('deployed', true, host))));
    try {
      const agents = hosts.map((host) => agent(etcd, host));
      await Promise.all(agents.map((cli) => cli.waitFor(/waiting for deploys/)));

      const first = await runCli(['deploy', `--seeds=${etcd.seeds}`, await writeGraph(dir, 'deploy1.yaml', deployGraph(1))]);
      expect(first.stdout).toMatch(/as deploy \d+/);
      await Promise.all(agents.map((cli) => cli.waitFor(/running deploy \d+ \(.*deploy1.yaml\)/)));
      await eventuallyContent(join(dir, 'deploy1.txt'), 'deploy 1');
      await eventually(async () => (await deployedValues()).every((value) => value === 'v1'));

      await runCli(['deploy', `--seeds=${etcd.seeds}`, await writeGraph(dir, 'deploy2.yaml', deployGraph(2))]);
      await eventually(async () => (await deployedValues()).every((value) => value === 'v2'));

      // A fourth agent waits for the whole cluster and exits 0.
      const waiter = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=d-h4', '--converger-timeout=1', '--converged-exit'], {
        timeoutMs: 30_000,
      });
      expect(waiter.stderr).toMatch(/the cluster has converged/);
      expect(waiter.code).toBe(0);

      const status = await runCli(['status', `--seeds=${etcd.seeds}`]);
      expect(status.code).toBe(0);
      for (const host of hosts) expect(status.stdout).toMatch(new RegExp(`${host}\\tconverged\\tdeploy \\d+ \\(deploy2\\)`));
      expect(status.stdout).toMatch(/cluster: converged/);
      expect(status.stdout).not.toMatch(/d-h4/); // it left, and its lease went with it

      // Losing one of three etcd members changes nothing for the agents.
      await etcd.members[0]?.stop();
      await runCli(['deploy', `--seeds=${etcd.clientUrls.slice(1).join(',')}`, await writeGraph(dir, 'deploy3.yaml', deployGraph(3))]);
      await eventuallyContent(join(dir, 'deploy3.txt'), 'deploy 3', 25_000);
      await eventually(async () => (await deployedValues()).every((value) => value === 'v3'), 25_000);
      await etcd.members[0]?.restart();
      await Promise.all(agents.map(stopAgent));
      for (const cli of agents) expect((await cli.result).code).toBe(0);
    } finally {
      await world.close();
    }
  }, 120_000);
});

describe.skipIf(!available)('an agent when etcd goes away entirely', () => {
  afterEach(async () => {
    killAll();
    await removeTempDirs();
  });

  it('keeps enforcing its graph, logs the loss once, and catches up when etcd is back', async () => {
    const etcd = await startEtcdCluster(1);
    try {
      const dir = await makeTempDir();
      const local = join(dir, 'local.txt');
      const shared = join(dir, 'shared.txt');
      const graph = await writeGraph(
        dir,
        'graph.yaml',
        [
          'graph: offline',
          'resources:',
          '  kv:',
          '    - name: offline-key',
          '      state: read',
          '  file:',
          `    - name: ${local}`,
          '      state: exists',
          '      content: "kept"',
          `    - name: ${shared}`,
          '      state: exists',
          '      content: "none yet"',
          'edges:',
          '  - from: {kind: kv, name: offline-key}',
          `    to: {kind: file, name: ${shared}}`,
          '    send: value',
          '    recv: content',
          '',
        ].join('\n'),
      );
      const h1 = agent(etcd, 'off-h1', graph);
      await eventuallyContent(local, 'kept');
      await etcd.members[0]?.stop();
      await h1.waitFor(/unreachable/, 20_000);

      // The graph is still enforced while etcd is gone.
      await rm(local);
      await eventuallyContent(local, 'kept');

      await etcd.members[0]?.restart();
      await h1.waitFor(/reachable again/, 20_000);
      const writer = await writeGraph(dir, 'writer.yaml', 'graph: w\nresources:\n  kv:\n    - name: offline-key\n      value: "after the outage"\n');
      const w = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=off-w', '--converger-timeout=0', '--converged-exit', writer], { timeoutMs: 20_000 });
      expect(w.code).toBe(0);
      await eventuallyContent(shared, 'after the outage');
      expect(h1.stderr.match(/is unreachable/g), h1.stderr).toHaveLength(1);
      await stopAgent(h1);
    } finally {
      await etcd.stop();
    }
  }, 90_000);

  it('says it joined only once etcd answered, and before that that it could not reach it (QA: "joined" with wrong --seeds)', async () => {
    const { etcd, h1 } = await agentWhileEtcdAway('late-h1', 'late');
    try {
      await h1.waitFor(new RegExp(`could not reach etcd at ${etcd.seeds} yet \\(check --seeds\\); retrying, running late meanwhile`), 20_000);
      await h1.waitFor(/converged: noop\[a\]/);
      expect(h1.stderr).not.toMatch(/joined|enforcing the last graph/);
      await etcd.members[0]?.restart();
      await h1.waitFor(/joined the cluster at .* as late-h1/, 20_000);
      expect(h1.stderr.match(/could not reach|joined/g)).toEqual(['could not reach', 'joined']);
      await stopAgent(h1);
    } finally {
      await etcd.stop();
    }
  }, 90_000);

  it('says a one-shot run that converged here waits for etcd, then exits once it answers and the cluster converged (QA: it waited silently)', async () => {
    const { etcd, h1 } = await agentWhileEtcdAway('once-h1', 'once', ['--converged-exit']);
    try {
      await h1.waitFor(new RegExp(`converged here; waiting for etcd at ${etcd.seeds} to answer`), 20_000);
      expect(h1.child.exitCode).toBeNull();
      await etcd.members[0]?.restart();
      const result = await h1.result;
      expect(result.stderr).toContain('the cluster has converged');
      expect(result.stderr.match(/converged here; waiting for etcd/g)).toHaveLength(1);
      expect(result.code).toBe(0);
    } finally {
      await etcd.stop();
    }
  }, 90_000);

  it('restarted while etcd is away, takes the status its previous run left for its own, not another host\'s: it puts its exports back (QA: it said another converge ran as this host, and an export deleted then stayed gone)', async () => {
    const etcd = await startEtcdCluster(1);
    const world = new EtcdWorld({ hostname: 'test', seeds: etcd.clientUrls, log: silentLog });
    try {
      const dir = await makeTempDir();
      const exported = join(dir, 'exported.txt');
      const graph = await writeGraph(dir, 'graph.yaml', `graph: again\nresources:\n  file:\n    - name: ${exported}\n      state: exists\n      content: "again"\n      meta: {export: ["*"]}\n`);
      const key = `exports/again-h1/file/${encodeURIComponent(exported)}`;
      const first = agent(etcd, 'again-h1', graph);
      await eventually(async () => (await world.get(key)) !== undefined);
      await first.waitFor(/joined the cluster/);
      // Stopped while etcd is away: its status stays there, as its lease could not be revoked.
      await etcd.members[0]?.stop();
      await stopAgent(first);
      const again = agent(etcd, 'again-h1', graph);
      await again.waitFor(/could not reach etcd/, 20_000);
      await sleep(8000);
      await etcd.members[0]?.restart();
      await again.waitFor(/joined the cluster/, 20_000);
      // Past the previous run's lease (5 s): whatever was to be told of its status is told.
      await sleep(7000);
      expect(again.stderr).not.toContain('another converge runs');
      const published = await world.get(key);
      expect(published).toBeDefined();
      await world.delete(key);
      await eventually(async () => (await world.get(key)) !== undefined, 10_000);
      await stopAgent(again);
    } finally {
      await world.close();
      await etcd.stop();
    }
  }, 120_000);

  it('publishes its exports once etcd answers: when it was away at the start, and at a reload (QA: they stayed unpublished, or old, for good)', async () => {
    const etcd = await startEtcdCluster(1);
    const world = new EtcdWorld({ hostname: 'test', seeds: etcd.clientUrls, log: silentLog });
    try {
      const dir = await makeTempDir();
      const exported = join(dir, 'exported.txt');
      const graphText = (content: string): string =>
        `graph: exporter\nresources:\n  file:\n    - name: ${exported}\n      state: exists\n      content: "${content}"\n      meta: {export: ["*"]}\n`;
      const storedContent = async (): Promise<unknown> => {
        const stored = await world.get(`exports/away-h1/file/${encodeURIComponent(exported)}`).catch(() => undefined);
        return stored === undefined ? undefined : (JSON.parse(stored) as { params: { content?: unknown } }).params.content;
      };
      await etcd.members[0]?.stop();
      const graph = await writeGraph(dir, 'graph.yaml', graphText('first'));
      const h1 = agent(etcd, 'away-h1', graph);
      await eventuallyContent(exported, 'first');
      await etcd.members[0]?.restart();
      await eventually(async () => (await storedContent()) === 'first', 30_000);

      await etcd.members[0]?.stop();
      await writeFile(graph, graphText('second'));
      await h1.waitFor(/reloaded .*graph.yaml: 1 resource,/);
      await eventuallyContent(exported, 'second');
      await etcd.members[0]?.restart();
      await eventually(async () => (await storedContent()) === 'second', 30_000);

      // Stopped before etcd is back: it says its newest exports were not published (QA: silently).
      await etcd.members[0]?.stop();
      await writeFile(graph, graphText('third'));
      await h1.waitFor(/reloaded .*graph.yaml: 1 resource,.*[^]*reloaded .*graph.yaml: 1 resource,/);
      await eventuallyContent(exported, 'third');
      await stopAgent(h1);
      expect(h1.stderr).toContain('the exports of the running graph were not published (etcd did not answer)');
    } finally {
      await world.close();
      await etcd.stop();
    }
  }, 120_000);
});

describe.skipIf(!available)('deploy, status and retire when etcd cannot answer', () => {
  afterEach(async () => {
    killAll();
    await removeTempDirs();
  });

  it('fail within seconds saying etcd has no leader when a member answers without one, and say they wait when none answers (QA: 14 s without a word, then DEADLINE_EXCEEDED)', async () => {
    const etcd = await startEtcdCluster(3);
    try {
      const dir = await makeTempDir();
      const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  noop:\n    - name: a\n');
      etcd.members[1]?.pause();
      etcd.members[2]?.pause();
      const timed = async (args: readonly string[]): Promise<{ code: number | null; stderr: string; ms: number }> => {
        const started = Date.now();
        const result = await runCli([...args, `--seeds=${etcd.seeds}`], { timeoutMs: 30_000 });
        return { code: result.code, stderr: result.stderr, ms: Date.now() - started };
      };
      const [status, deploy, retire] = await Promise.all([timed(['status']), timed(['deploy', graph]), timed(['retire', 'gone-h1'])]);
      const [answering, ...silent] = etcd.clientUrls;
      const why = `etcd has no leader, so no quorum: ${answering} answers but without a leader, ${silent.join(', ')} do not answer; etcd reads and writes only while more than half of its members are up and reach each other`;
      expect([status.code, status.stderr]).toEqual([1, `converge: cannot read the cluster's status: ${why}\n`]);
      expect([deploy.code, deploy.stderr]).toEqual([1, `converge: cannot deploy: ${why}\n`]);
      expect([retire.code, retire.stderr]).toEqual([1, `converge: cannot retire gone-h1: ${why}\n`]);
      // About 3.5 s of looking, plus starting node (slow on a loaded machine); the calls alone took 14 s.
      for (const each of [status, deploy, retire]) expect(each.ms).toBeLessThan(12_000);

      etcd.members[0]?.pause();
      const waiting = startCli(['status', `--seeds=${etcd.seeds}`]);
      await waiting.waitFor(new RegExp(`converge: waiting for etcd at ${etcd.seeds}: no member answers \\(stopped, hung, or cut off\\); Ctrl-C stops`), 20_000);
      waiting.kill();
    } finally {
      await etcd.stop();
    }
  }, 90_000);
});
