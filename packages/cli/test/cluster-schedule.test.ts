import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdWorld } from '@converge/engine/etcd';
import { etcdAvailable, startEtcdCluster, type EtcdCluster } from '../../engine/test/support/etcd-members.js';
import { writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const available = etcdAvailable();
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe.skipIf(!available)('a scheduled deploy', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster(1);
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    killAll();
    await removeTempDirs();
  });

  it('runs on `max` hosts only, and moves to another host when a chosen one is killed', async () => {
    const dir = await makeTempDir();
    const hosts = ['s-h1', 's-h2', 's-h3'];
    const agents = hosts.map((host) =>
      startCli(['run', '--tmp-prefix', `--seeds=${etcd.seeds}`, `--hostname=${host}`, '--converger-timeout=1']),
    );
    await Promise.all(agents.map((cli) => cli.waitFor(/waiting for deploys/)));
    const graph = 'graph: singleton\nschedule: {strategy: first, max: 1}\nresources:\n  kv:\n    - name: leader\n      value: "here"\n      mapped: true\n';
    expect((await runCli(['deploy', `--seeds=${etcd.seeds}`, await writeGraph(dir, 'singleton.yaml', graph)])).code).toBe(0);

    const world = new EtcdWorld({ hostname: 'test', seeds: etcd.clientUrls, log: silent });
    try {
      const runningOn = async (): Promise<string[]> => [...(await world.list('kvmap/leader/')).keys()].map((key) => key.split('/')[2] ?? '');
      const waitFor = async (check: (on: string[]) => boolean, timeoutMs: number): Promise<string[]> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const on = await runningOn();
          if (check(on)) return on;
          if (Date.now() > deadline) throw new Error(`ran on ${on.join(', ')}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const [first] = await waitFor((on) => on.length === 1, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await runningOn()).toEqual([first]);

      // Kill the chosen host outright: its lease expires and another host is chosen.
      const chosen = agents[hosts.indexOf(first ?? '')];
      chosen?.kill();
      await chosen?.result;
      await world.delete(`kvmap/leader/${first}`); // what it wrote stays; clear it to see who writes next
      const [next] = await waitFor((on) => on.length === 1, 20_000);
      expect(next).not.toBe(first);
      for (const cli of agents) if (cli !== chosen) expect(cli.stderr).toMatch(/graph singleton: \d resources \(0 collected; (not )?scheduled here\)/);
    } finally {
      await world.close();
    }
  }, 60_000);
});
