import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEngine } from '@converge/testkit';
import type { Hypervisor } from '@unraid/libvirt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtResource } from '../src/index.js';
import { DomainState } from '../src/libvirt-connection.js';
import { converge, domainName, eventually, hasQemu, lookup, makeVirt, openOutside, removeDomain } from './helpers.js';

// libvirtd going away and coming back, through a proxy socket of the test's
// own in front of qemu:///system's: the test driver lives in this process and
// cannot be put behind a socket.
const SYSTEM_SOCKET = '/var/run/libvirt/libvirt-sock';
const never = new AbortController().signal;
if (!hasQemu) console.warn('res-virt: qemu-system-x86_64 or /dev/kvm missing here: reconnection tests skipped');

/** A unix socket at `path` forwarding to libvirtd's, started and stopped at will (libvirtd "restarting"). */
class LibvirtdProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly path: string) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(SYSTEM_SOCKET);
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(from);
        from.pipe(to);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          to.destroy();
          this.sockets.delete(from);
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
    this.server = server;
  }

  /** Closes the socket (its file goes) and every connection through it, as a stopped libvirtd. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe('virt on a URI no libvirt driver serves', () => {
  it('fails in init, for good (it will not get better)', async () => {
    await expect(makeVirt(domainName('bogus'), { uri: 'bogus:///' })).rejects.toMatchObject({
      code: 'ERR_RESOURCE_INIT',
      message: expect.stringMatching(/no connection driver available/),
    });
  });
});

describe.skipIf(!hasQemu)('virt when libvirtd (qemu:///system) is not there or goes away', () => {
  let outside: Hypervisor;
  let dir: string;
  let proxy: LibvirtdProxy;
  let uri: string;
  const made: string[] = [];

  beforeAll(async () => {
    outside = await openOutside('qemu:///system');
    dir = await mkdtemp(join(tmpdir(), 'res-virt-proxy-'));
    proxy = new LibvirtdProxy(join(dir, 'libvirt-sock'));
    uri = `qemu+unix:///system?socket=${proxy.path}`;
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const name of made) await removeDomain(outside, name);
    await outside?.connectClose();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails its checks while libvirtd does not answer yet, then converges once it does (QA: failed for good in init)', async () => {
    const name = domainName('late');
    made.push(name);
    const yaml = `graph: vms\nresources:\n  virt:\n  - name: ${name}\n    uri: "${uri}"\n    state: shutoff\n    memory: 131072\n    meta: {retry: -1, delay: 500}\n`;
    const running = await startTestEngine({ resources: [virtResource], yaml });
    try {
      await eventually(() => /cannot connect to/.test(running.status(`virt[${name}]`)?.lastError?.message ?? ''), 20_000);
      await proxy.start();
      await running.waitConverged(30_000);
      expect(running.status(`virt[${name}]`)?.state).toBe('converged');
      expect((await (await lookup(outside, name))!.getInfo()).state).toBe(DomainState.SHUTOFF);
    } finally {
      await running.stop();
      await proxy.stop();
    }
  }, 60_000);

  // A diskless guest, booting from nowhere: the firmware idles.
  const guest = { memory: 131072, boot: ['network' as const] };
  const stateOf = async (name: string): Promise<number | undefined> => (await (await lookup(outside, name))?.getInfo())?.state;

  it('opens its connection anew once libvirtd is back, so the next check repairs (QA: client socket is closed, for ever)', async () => {
    const name = domainName('restarted');
    made.push(name);
    await proxy.start();
    const live = await makeVirt(name, { uri, ...guest });
    try {
      expect(await converge(live)).toBe('diverged');
      // A restart between two checks (systemctl restart libvirtd): the next check sees nothing of it.
      await proxy.stop();
      await proxy.start();
      execFileSync('virsh', ['-c', 'qemu:///system', 'destroy', name]);
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
      // A check while libvirtd is away fails; the first one after it is back repairs.
      await proxy.stop();
      await expect(live.res.checkApply(true, never)).rejects.toThrow(/cannot connect to/);
      await proxy.start();
      execFileSync('virsh', ['-c', 'qemu:///system', 'destroy', name]);
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
    } finally {
      await live.res.cleanup();
      await live.harness.dispose();
      await proxy.stop();
    }
  });

  it('repairs drift under a running engine once libvirtd is back from an outage', async () => {
    const name = domainName('outage');
    made.push(name);
    await proxy.start();
    const yaml = `graph: vms\nresources:\n  virt:\n  - name: ${name}\n    uri: "${uri}"\n    memory: ${guest.memory}\n    boot: [network]\n`;
    const running = await startTestEngine({ resources: [virtResource], yaml });
    try {
      await running.waitConverged(30_000);
      await proxy.stop();
      // The watch's virsh event ends, and the check its restart brings fails.
      await eventually(() => running.status(`virt[${name}]`)?.state === 'failed', 30_000);
      await proxy.start();
      execFileSync('virsh', ['-c', 'qemu:///system', 'destroy', name]);
      // Seen by virsh event once it is back, or by the watch's 5 s look.
      await eventually(async () => (await stateOf(name)) === DomainState.RUNNING, 60_000);
    } finally {
      await running.stop();
      await proxy.stop();
    }
  }, 120_000);
});
