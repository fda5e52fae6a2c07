import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '@converge/engine-api';
import type { Hypervisor } from '@unraid/libvirt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDomainXml } from '../src/domain-xml.js';
import { DomainState } from '../src/libvirt-connection.js';
import { domainName, fullParams, lookup, makeVirt, openOutside, removeDomain } from './helpers.js';

// libvirtd's qemu:///system (started by tools/ci/setup/40-virt.sh) on a
// host without KVM: the domain type kvm that virt asks for is refused.
const URI = 'qemu:///system';
const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
const never = new AbortController().signal;

/** libvirtd answers at URI with qemu, and offers no domain type kvm (no /dev/kvm): undefined when so, else why not. */
function whyNotKvmLess(): string | undefined {
  let capabilities: string;
  try {
    capabilities = execFileSync('virsh', ['-c', URI, 'capabilities'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return `libvirtd does not answer at ${URI}`;
  }
  if (!capabilities.includes("<domain type='qemu'/>")) return 'libvirt offers no qemu guests';
  return capabilities.includes("<domain type='kvm'/>") ? 'this host has KVM' : undefined;
}
const skipped = whyNotKvmLess();
if (skipped) console.warn(`res-virt: host-without-KVM tests skipped: ${skipped}`);

function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(skipped !== undefined)('virt on qemu:///system where the host has no KVM', () => {
  let outside: Hypervisor;
  let dir = '';
  const web = domainName('nokvm-web');
  const scratch = domainName('nokvm-scratch');
  const running = domainName('nokvm-tcg');

  beforeAll(async () => {
    outside = await openOutside(URI);
    dir = await mkdtemp(join(tmpdir(), 'res-virt-nokvm-'));
  });
  afterAll(async () => {
    for (const name of [web, scratch, running]) await removeDomain(outside, name);
    await outside?.connectClose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fails the README example in the dry run as in the real run, with what to do (QA: a clean dry run, then libvirt refused with no hint)', async () => {
    const graph = join(dir, 'vms.yaml');
    await writeFile(
      graph,
      `graph: vms
resources:
  virt:
  - name: ${web}
    uri: "${URI}"
    state: running
    cpus: 2
    maxcpus: 4
    memory: 1048576
    boot: [hd]
    disk:
    - source: /var/lib/libvirt/images/${web}.qcow2
      type: qcow2
    network:
    - name: default
    restartondiverge: ifneeded
    startup: enabled
  - name: ${scratch}
    uri: "${URI}"
    transient: true
    state: paused
    memory: 262144
`,
    );
    const once = ['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit'];
    const dry = await runCli([...once, '--noop', graph]);
    expect(dry.code, dry.stderr).toBe(1);
    const real = await runCli([...once, graph]);
    expect(real.code, real.stderr).toBe(1);
    for (const name of [web, scratch]) {
      expect(dry.stdout).toContain(`failed: virt[${name}]: the domain cannot be defined or started: libvirt at ${URI} offers no domain type kvm`);
      expect(dry.stdout).not.toContain(`would change: virt[${name}]`);
      expect(real.stdout).toMatch(new RegExp(`failed: virt\\[${name}\\]: libvirt refused: .*type=kvm`));
      expect(await lookup(outside, name)).toBeUndefined();
    }
    for (const { stderr } of [dry, real]) {
      expect(stderr).toContain(`hint: libvirt at ${URI} offers no KVM (no /dev/kvm on its host)`);
      expect(stderr).toContain('modprobe kvm_intel or kvm_amd');
    }
  }, 120_000);

  it('tells in a dry run what the real run does before it fails: a running qemu domain is powered off, then its redefinition as kvm is refused', async () => {
    // A domain of type qemu (emulated, no KVM needed), defined and started by hand, as virt would not.
    const params = { uri: URI, memory: 131072, maxcpus: 4, boot: ['network' as const] };
    const xml = buildDomainXml(running, fullParams({ ...params, cpus: 1 })).replace('<domain type="kvm">', '<domain type="qemu">');
    const xmlFile = join(dir, `${running}.xml`);
    await writeFile(xmlFile, xml);
    execFileSync('virsh', ['-c', URI, 'define', xmlFile], { stdio: 'ignore' });
    execFileSync('virsh', ['-c', URI, 'start', running], { stdio: 'ignore' });

    const live = await makeVirt(running, { ...params, cpus: 2, state: 'shutoff' });
    try {
      const failure = await live.res.checkApply(false, never).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isEngineError(failure) && failure.message).toBe(`the domain cannot be defined or started: libvirt at ${URI} offers no domain type kvm`);
      expect(isEngineError(failure) && failure.wouldChange).toBe(true);
      expect(isEngineError(failure) && failure.missing).toBe(false);
      expect(await live.res.describeChange()).toBe('power off the domain (now running)');
      expect((await (await lookup(outside, running))!.getInfo()).state).toBe(DomainState.RUNNING);
    } finally {
      await live.res.cleanup();
      await live.harness.dispose();
    }
  }, 120_000);
});
