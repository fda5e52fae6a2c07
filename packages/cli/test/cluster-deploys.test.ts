import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcdCluster, type EtcdCluster } from '../../engine/test/support/etcd-members.js';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli, type CliProcess } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

/**
 * Deploys that not every agent can run, and what the agents of a cluster
 * tell while they wait: real `converge` agents on one real etcd member
 * (its ports are free ones picked by the test).
 */
const available = etcdAvailable();

function agent(etcd: EtcdCluster, host: string, extra: readonly string[] = [], cwd?: string): CliProcess {
  return startCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, `--hostname=${host}`, '--converger-timeout=1', ...extra], cwd ? { cwd } : {});
}

/** Stops an agent in order; a second SIGTERM after a second aborts a command still running (its process group goes with it). */
async function stopAgent(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  const again = setTimeout(() => cli.child.kill('SIGTERM'), 1000);
  const timer = setTimeout(() => cli.kill(), 5000);
  await cli.result;
  clearTimeout(again);
  clearTimeout(timer);
}

async function deploy(etcd: EtcdCluster, graph: string, extra: readonly string[] = [], cwd?: string): Promise<{ id: number; stderr: string }> {
  const result = await runCli(['deploy', `--seeds=${etcd.seeds}`, ...extra, graph], cwd ? { cwd } : {});
  expect(result.code, result.stderr).toBe(0);
  const id = Number(/as deploy (\d+)/.exec(result.stdout)?.[1]);
  expect(id).toBeGreaterThan(0);
  return { id, stderr: result.stderr };
}

describe.skipIf(!available)('deploys and the agents of a cluster', () => {
  // One member each: a test's agents start on no deploy (the newest deploy of another test would be theirs).
  let etcd: EtcdCluster;
  beforeEach(async () => {
    etcd = await startEtcdCluster(1);
  }, 60_000);
  afterEach(async () => {
    killAll();
    await etcd?.stop();
    await removeTempDirs();
  });

  it('a deploy an agent cannot load is told in its status and never counted converged; a fresh --converged-exit agent that cannot load it exits 2; the deployer is warned that --plugin does not go with the deploy (QA: "cluster: converged", and the fresh agent waited for ever)', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const h1 = agent(etcd, 'r-h1');
    await h1.waitFor(/waiting for deploys/);
    const before = await deploy(etcd, await writeGraph(dir, 'plain.yaml', 'graph: plain\nresources:\n  noop:\n    - name: a\n'));
    await h1.waitFor(/graph plain: 1 resource/);
    await h1.waitFor(/converged: every resource is as the graph says/);

    // Only the deployer has the plugin that provides `touch`.
    const touched = join(dir, 'touched');
    const graph = await writeGraph(dir, 'motd.yaml', `graph: motd\nresources:\n  touch:\n    - name: t\n      path: ${touched}\n`);
    const refused = await deploy(etcd, graph, ['--plugin', plugin]);
    expect(refused.stderr).toContain(`warning: --plugin ${plugin} only helped check the graph here; the agents do not get it`);
    expect(refused.stderr).toContain("mgmt's deploys carry their files; converge's do not");
    await h1.waitFor(new RegExp(`deploy ${refused.id} \\(${graph}\\) was not applied; this host goes on running deploy ${before.id} \\(plain\\)`));

    const reason = "line 3: no installed plugin provides kind 'touch'";
    const eventuallyRefused = async (): Promise<string> => {
      for (let tries = 0; ; tries++) {
        const status = await runCli(['status', `--seeds=${etcd.seeds}`]);
        if (status.stdout.includes('refused') || tries > 50) return status.stdout;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const text = await eventuallyRefused();
    expect(text).toMatch(new RegExp(`^r-h1\\tconverged\\tdeploy ${before.id} \\(plain\\)\\t1 resource\\trefused deploy ${refused.id}: ${reason}$`, 'm'));
    expect(text).toContain(`cluster: not converged (r-h1 refused deploy ${refused.id})`);
    expect(text).not.toContain('cluster: converged');
    const json = JSON.parse((await runCli(['status', `--seeds=${etcd.seeds}`, '--json'])).stdout) as { converged: boolean; hosts: unknown[] };
    expect(json.converged).toBe(false);
    expect(json.hosts).toEqual([expect.objectContaining({ host: 'r-h1', deploy: before.id, graph: 'plain', refused: { deploy: refused.id, reason } })]);

    // A fresh agent without the plugin has no graph at all: nothing to wait for.
    const fresh = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=r-h4', '--converger-timeout=1', '--converged-exit'], { timeoutMs: 20_000 });
    expect(fresh.stderr).toContain(`deploy ${refused.id} (${graph}) was not applied; this host runs no graph until a deploy it can load`);
    expect(fresh.stderr).toContain(`deploy ${refused.id} (${graph}) cannot run on this host (above) and it has no graph to run instead: nothing was applied`);
    expect(fresh.stderr).not.toContain('the running graph is unchanged');
    expect(fresh.code).toBe(2);

    // One that has the plugin runs it, and says that the cluster settled without it on r-h1.
    const withPlugin = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=r-h5', '--converger-timeout=1', '--converged-exit', '--plugin', plugin], {
      timeoutMs: 20_000,
    });
    expect(await readFile(touched, 'utf8')).toBe('touched');
    expect(withPlugin.stderr).toContain(`the cluster has settled, but not every host runs deploy ${refused.id}: r-h1 refused it (${reason})`);
    expect(withPlugin.code).toBe(1);

    // A deploy it can load ends the refusal.
    await deploy(etcd, await writeGraph(dir, 'again.yaml', 'graph: again\nresources:\n  noop:\n    - name: b\n'));
    await h1.waitFor(/graph again: 1 resource/);
    const waiter = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=r-h6', '--converger-timeout=1', '--converged-exit'], { timeoutMs: 20_000 });
    expect(waiter.stderr).toContain('the cluster has converged');
    expect(waiter.code).toBe(0);
    await stopAgent(h1);
    expect((await h1.result).code).toBe(0);
  }, 150_000);

  it("finds a plugin folder the graph names relative to itself from the graph's folder, not from where the agent runs, and warns that every agent needs it there (QA: resolved from the agent's working directory)", async () => {
    const dir = await makeTempDir();
    await writeTestPlugin(join(dir, 'plug'));
    await mkdir(join(dir, 'g'));
    const touched = join(dir, 'touched');
    await writeFile(join(dir, 'g', 'motd2.yaml'), `graph: motd2\nplugins: [../plug/converge-test-plugin]\nresources:\n  touch:\n    - name: t\n      path: ${touched}\n`);
    // Deployed by its path relative to where the deploy runs; the agent runs elsewhere.
    const deployed = await deploy(etcd, 'g/motd2.yaml', [], dir);
    expect(deployed.stderr).toContain(`g/motd2.yaml:2:11: warning: plugins: '../plug/converge-test-plugin' is a folder on this machine: each agent loads it from ${join(dir, 'plug', 'converge-test-plugin')}`);
    expect(deployed.stderr).toContain("hint: a deploy stores the graph's text, not its plugins or files");
    const run = await runCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, '--hostname=p-h1', '--converger-timeout=1', '--converged-exit'], { timeoutMs: 20_000 });
    expect(run.stderr).toContain(`running deploy ${deployed.id} (${join(dir, 'g', 'motd2.yaml')})`);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(touched, 'utf8')).toBe('touched');
  }, 60_000);

  it('a --converged-exit agent says which hosts it waits for, once and again only when that changes; an agent that goes on says each convergence (QA: 40 s of silence while one host never converged; cluster runs never said "converged")', async () => {
    const dir = await makeTempDir();
    // The one host whose folder holds `slow` never finishes the deploy.
    const slowDir = join(dir, 'slow-host');
    await mkdir(slowDir);
    await writeFile(join(slowDir, 'slow'), '');
    const hosts = [agent(etcd, 'w-h1', [], dir), agent(etcd, 'w-h2', [], slowDir), agent(etcd, 'w-h3', [], dir)];
    await Promise.all(hosts.map((cli) => cli.waitFor(/waiting for deploys/)));
    const graph = 'graph: slow\nresources:\n  exec:\n    - name: maybe-slow\n      cmd: "if [ -e slow ]; then exec /bin/sleep 60; fi"\n      shell: /bin/sh\n';
    await deploy(etcd, await writeGraph(dir, 'slow.yaml', graph));
    await Promise.all(hosts.map((cli) => cli.waitFor(/graph slow: 1 resource/)));
    const [h1, h2, h3] = hosts as [CliProcess, CliProcess, CliProcess];
    await h1.waitFor(/converged: every resource is as the graph says/);
    await h3.waitFor(/converged: every resource is as the graph says/);

    const waiter = agent(etcd, 'w-h4', ['--converged-exit'], dir);
    await waiter.waitFor(/waiting: not converged yet: w-h2/, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    waiter.child.kill('SIGTERM');
    const result = await waiter.result;
    // Said once: the hosts' statuses went on being published meanwhile.
    expect(result.stderr.match(/waiting: /g)).toHaveLength(1);
    expect(result.stderr).toContain('stopped before the cluster converged');
    expect(result.code).toBe(1);
    // Each convergence once, not again while nothing changed.
    expect(h1.stderr.match(/converged: every resource is as the graph says/g)).toHaveLength(1);
    expect(h2.stderr).not.toContain('converged: every resource');
    await Promise.all(hosts.map(stopAgent));
  }, 90_000);
});
