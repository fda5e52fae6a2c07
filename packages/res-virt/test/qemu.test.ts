import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '@converge/engine-api';
import type { Hypervisor } from '@unraid/libvirt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainState } from '../src/libvirt-connection.js';
import { converge, domainName, hasQemu, lookup, makeVirt, openOutside, removeDomain } from './helpers.js';

// A real KVM guest under libvirtd (started by tools/ci/setup/40-virt.sh).
// As root, qemu:///system is the daemon that runs qemu as libvirt-qemu.
const URI = 'qemu:///system';
if (!hasQemu) console.warn('res-virt: qemu-system-x86_64 or /dev/kvm missing here: qemu tests skipped');
const never = new AbortController().signal;
const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

// Skipped only where qemu or KVM is missing; with both, a missing libvirtd fails them (in CI too).
describe.skipIf(!hasQemu)('virt on qemu:///system (diskless KVM guest)', () => {
  let outside: Hypervisor;
  const name = domainName('qemu');
  const other = domainName('qemu-off');
  const dry = domainName('qemu-dry');

  beforeAll(async () => {
    outside = await openOutside(URI);
  });
  afterAll(async () => {
    await removeDomain(outside, name);
    await removeDomain(outside, other);
    await removeDomain(outside, dry);
    await outside?.connectClose();
  });

  it('boots a guest, hot-plugs a cpu, notices an outside destroy through virsh event and repairs it', async () => {
    // Diskless, booting from nowhere: the firmware idles, which is all the test needs.
    const base = { uri: URI, memory: 131072, maxcpus: 4, boot: ['network' as const] };
    const live = await makeVirt(name, { ...base, cpus: 1 });
    try {
      expect(await converge(live)).toBe('diverged');
      const domain = await lookup(outside, name);
      expect((await domain!.getInfo()).state).toBe(DomainState.RUNNING);

      const controller = new AbortController();
      const ready = live.harness.waitForEvent();
      const watching = live.res.watch(controller.signal);
      await ready;
      // virsh needs a moment to register for events after it starts.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seen = live.harness.waitForEvent(5_000);
      execFileSync('virsh', ['-c', URI, 'destroy', name]);
      await seen;
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect((await (await lookup(outside, name))!.getInfo()).state).toBe(DomainState.RUNNING);
      // Autostart (as a live cpu or memory change) sends no event: the watch's slower look sees it
      // (QA: never noticed on qemu:///system).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const polled = live.harness.waitForEvent(8_000);
      execFileSync('virsh', ['-c', URI, 'autostart', name]);
      await polled;
      execFileSync('virsh', ['-c', URI, 'autostart', '--disable', name]);
      controller.abort();
      await watching;
    } finally {
      await live.res.cleanup();
      await live.harness.dispose();
    }

    const more = await makeVirt(name, { ...base, cpus: 2 });
    try {
      expect(await converge(more)).toBe('diverged');
      const info = await (await lookup(outside, name))!.getInfo();
      expect([info.state, info.nrVirtCpu]).toEqual([DomainState.RUNNING, 2]);
      expect(more.harness.logs().some((l) => /cpus hot-plugged: 1 -> 2/.test(l.message))).toBe(true);
    } finally {
      await more.res.cleanup();
      await more.harness.dispose();
    }

    const off = await makeVirt(name, { ...base, cpus: 2, state: 'shutoff' });
    try {
      expect(await converge(off)).toBe('diverged');
      expect((await (await lookup(outside, name))!.getInfo()).state).toBe(DomainState.SHUTOFF);
    } finally {
      await off.res.cleanup();
      await off.harness.dispose();
    }
  });

  it('pauses and powers off a guest whose cpus and memory differ, even when a live unplug is refused', async () => {
    const base = { uri: URI, maxcpus: 4, boot: ['network' as const] };
    const step = async (params: Parameters<typeof makeVirt>[1], body: (live: Awaited<ReturnType<typeof makeVirt>>) => Promise<void>) => {
      const live = await makeVirt(other, { ...base, ...params });
      try {
        await body(live);
      } finally {
        await live.res.cleanup();
        await live.harness.dispose();
      }
    };
    const info = async () => (await (await lookup(outside, other))!.getInfo());

    await step({ cpus: 1, memory: 131072 }, async (live) => {
      expect(await converge(live)).toBe('diverged');
    });
    // A cpu plugged by hand: this firmware-only guest cannot give it back (device_del is refused).
    execFileSync('virsh', ['-c', URI, 'setvcpus', other, '2', '--live']);
    expect((await info()).nrVirtCpu).toBe(2);

    // Wanted running, found paused, with a cpu the hypervisor will not give
    // back live: it is resumed all the same, and the unplug goes as
    // restartondiverge says: an error (after the resume), or a warning.
    execFileSync('virsh', ['-c', URI, 'suspend', other]);
    await step({ cpus: 1, memory: 131072, restartondiverge: 'error' }, async (live) => {
      await expect(live.res.checkApply(true, never)).rejects.toThrow(/needs a restart to apply: cpus 2 -> 1/);
      expect((await info()).state).toBe(DomainState.RUNNING);
    });
    execFileSync('virsh', ['-c', URI, 'suspend', other]);
    await step({ cpus: 1, memory: 131072, restartondiverge: 'ignore' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      const running = await info();
      expect([running.state, running.nrVirtCpu]).toEqual([DomainState.RUNNING, 2]);
      expect(live.harness.logs().some((l) => l.level === 'warn' && /refused a live change/.test(JSON.stringify(l)))).toBe(true);
    });

    await step({ cpus: 1, memory: 262144, state: 'paused' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await converge(live)).toBe('converged');
      // One warning for the pending changes (not one per check), naming the refused unplug.
      const warned = live.harness.logs().filter((l) => l.level === 'warn').map((l) => JSON.stringify(l));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/next boot/);
      expect(warned[0]).toMatch(/memory 131072 KiB -> 262144 KiB/);
      expect(warned[0]).toMatch(/cpus 2 -> 1: .*device_del/);
      expect((await info()).state).toBe(DomainState.PAUSED);
    });

    await step({ cpus: 1, memory: 262144, state: 'shutoff' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await converge(live)).toBe('converged');
      const off = await info();
      expect([off.state, off.nrVirtCpu, off.maxMem]).toEqual([DomainState.SHUTOFF, 1, 262144]);
    });

    // Booted again from the new definition, then a transient shutoff with a difference removes it.
    await step({ cpus: 1, memory: 262144 }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      execFileSync('virsh', ['-c', URI, 'setvcpus', other, '2', '--live']);
    });
    await step({ cpus: 1, memory: 131072, state: 'shutoff', transient: true }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await lookup(outside, other)).toBeUndefined();
    });
  });
  it('says in a dry run the steps it would take before a failure, then fails as the real run does (QA: only the failure was told)', async () => {
    const base = { uri: URI, maxcpus: 4, boot: ['network' as const] };
    const made = await makeVirt(dry, { ...base, memory: 131072, state: 'paused' });
    try {
      expect(await converge(made)).toBe('diverged');
    } finally {
      await made.res.cleanup();
      await made.harness.dispose();
    }
    const wanted = { ...base, memory: 262144, state: 'running' as const };
    const steps = 'redefine the domain for its next boot: memory 131072 KiB -> 262144 KiB, current memory; resume the domain (now paused)';

    const live = await makeVirt(dry, wanted);
    try {
      const failure: unknown = await live.res.checkApply(false, never).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isEngineError(failure) && failure.message).toMatch(/needs a restart to apply: memory 131072 KiB -> 262144 KiB/);
      // The engine tells the steps (describeChange), then the failure (EngineError.wouldChange).
      expect(isEngineError(failure) && failure.wouldChange).toBe(true);
      expect(await live.res.describeChange()).toBe(steps);
    } finally {
      await live.res.cleanup();
      await live.harness.dispose();
    }

    // As the CLI tells it: the steps, then the failure; nothing changed.
    const folder = await mkdtemp(join(tmpdir(), 'converge-virt-dry-'));
    try {
      const file = join(folder, 'graph.yaml');
      const lines = [`- name: ${dry}`, `  uri: "${URI}"`, '  state: running', '  memory: 262144', '  maxcpus: 4', '  boot: [network]'];
      await writeFile(file, `graph: dry\nresources:\n  virt:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
      const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(process.execPath, [CLI, 'run', '--tmp-prefix', '--noop', '--converger-timeout=0', '--converged-exit', file], (_error, stdout) =>
          resolve({ code: child.exitCode, stdout }),
        );
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`virt[${dry}] would change:\n${steps}\nfailed: virt[${dry}]: the running domain needs a restart to apply: memory 131072 KiB -> 262144 KiB\n`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const info = await (await lookup(outside, dry))!.getInfo();
    expect([info.state, info.maxMem]).toEqual([DomainState.PAUSED, 131072]);
    expect(execFileSync('virsh', ['-c', URI, 'dumpxml', '--inactive', dry], { encoding: 'utf8' })).toMatch(/<memory unit='KiB'>131072<\/memory>/);
  });
});
