import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startTestEngine } from '@converge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerContainerResource } from '../src/index.js';
import { IMAGE, LONG_RUNNING, docker, dockerReady, eventually } from './docker-env.js';

/**
 * A daemon of this test's own (own socket, data and exec roots), so that
 * restarting it cannot disturb the other test files, which run in parallel
 * against the shared test daemon.
 */
class OwnDockerd {
  private child: ChildProcess | undefined;
  readonly client: Docker;
  readonly socket: string;

  constructor(private readonly dir: string) {
    this.socket = join(dir, 'docker.sock');
    this.client = new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    await mkdir(join(this.dir, 'exec'), { recursive: true });
    const log = await open(join(this.dir, 'dockerd.log'), 'a');
    this.child = spawn(
      'dockerd',
      [
        `--host=unix://${this.socket}`,
        `--data-root=${join(this.dir, 'data')}`,
        `--exec-root=${join(this.dir, 'exec')}`,
        `--pidfile=${join(this.dir, 'docker.pid')}`,
        '--storage-driver=vfs',
        '--iptables=false',
        '--ip-masq=false',
        '--bridge=none',
      ],
      { stdio: ['ignore', log.fd, log.fd] },
    );
    await log.close();
    await eventually(() => this.client.ping().then(() => true, () => false), 30_000);
  }

  /** SIGTERM (dockerd then stops its containers and its containerd), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

let dir = '';
let daemon: OwnDockerd | undefined;

describe.skipIf(!dockerReady)('a daemon restart', () => {
  beforeAll(async () => {
    dir = await mkdtemp('/run/converge-test/restart-');
    daemon = new OwnDockerd(dir);
    await daemon.start();
    // The image, copied from the shared test daemon (no registry here).
    const exported = await docker.getImage(IMAGE).get();
    const loading = await daemon.client.loadImage(exported);
    await new Promise((resolve, reject) => daemon!.client.modem.followProgress(loading, (error) => (error ? reject(error) : resolve(undefined))));
  });

  afterAll(async () => {
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is followed by a reconnect of the watch, which puts the stopped container back', async () => {
    const own = daemon!;
    const name = `converge-test-restart-${process.pid}`;
    const running = await startTestEngine({
      resources: [dockerContainerResource],
      yaml: `graph: restart
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      host: unix://${own.socket}
      cmd: ${JSON.stringify(LONG_RUNNING)}
`,
    });
    try {
      await running.waitConverged(20_000);
      const before = await own.client.getContainer(name).inspect();
      expect(before.State.Status).toBe('running');

      // Stopping dockerd stops its containers; nothing restarts this one but converge.
      await own.stop();
      await own.start();
      await eventually(async () => {
        const info = await own.client.getContainer(name).inspect().catch(() => undefined);
        return info?.State.Status === 'running' && info.State.StartedAt !== before.State.StartedAt;
      }, 20_000);
      expect(running.status(`docker:container[${name}]`)?.state).not.toBe('failed');
    } finally {
      await running.stop();
      await own.client.getContainer(name).remove({ force: true }).catch(() => undefined);
    }
    // Its own waits add up to 85 s (converge 20, stop 15, start 30, repair 20): the default 30 s cut a slow daemon restart short.
  }, 120_000);
});
