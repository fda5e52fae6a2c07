import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@converge/testkit';
import type { TestContext } from '@converge/testkit';
import { Value } from '@sinclair/typebox/value';
import { Hypervisor } from '@unraid/libvirt';
import type { Domain } from '@unraid/libvirt';
import { virtResource, VirtParamsSchema } from '../src/index.js';
import type { VirtParams } from '../src/index.js';
import type { VirtInstance } from '../src/virt-instance.js';

export const TEST_URI = 'test:///default';

/** qemu and KVM are here, for a guest under qemu:///system. */
export const hasQemu = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' });
    return existsSync('/dev/kvm');
  } catch {
    return false;
  }
})();

/** A domain name no other test (or test run) uses. */
let counter = 0;
export function domainName(label: string): string {
  counter += 1;
  return `converge-${label}-${process.pid}-${counter}`;
}

/** Params as the engine would fill them from a graph: schema defaults applied. */
export function fullParams(params: Partial<VirtParams>): VirtParams {
  const filled = Value.Default(VirtParamsSchema, structuredClone(params)) as VirtParams;
  const issues = virtResource.validate?.(filled) ?? [];
  if (issues.length > 0) throw new Error(`invalid params: ${JSON.stringify(issues)}`);
  return filled;
}

export interface LiveVirt {
  readonly res: VirtInstance;
  readonly harness: TestContext<VirtParams, object>;
}

export async function makeVirt(name: string, params: Partial<VirtParams>): Promise<LiveVirt> {
  const res = virtResource.create(fullParams(params)) as VirtInstance;
  const harness = createTestContext<VirtParams, object>({ kind: 'virt', name });
  await res.init(harness.ctx);
  return { res, harness };
}

const never = new AbortController().signal;

/** checkApply(false), then (if diverged) apply once and check that a second apply changes nothing. */
export async function converge(live: LiveVirt): Promise<'converged' | 'diverged'> {
  if (await live.res.checkApply(false, never)) return 'converged';
  if (await live.res.checkApply(true, never)) throw new Error('apply said converged after check said diverged');
  if (!(await live.res.checkApply(true, never))) throw new Error('a second apply changed something again');
  return 'diverged';
}

/** A connection of the test's own, to look at and change domains behind the resource's back. */
export async function openOutside(uri = TEST_URI): Promise<Hypervisor> {
  const hypervisor = new Hypervisor({ uri });
  await hypervisor.connectOpen();
  return hypervisor;
}

export async function lookup(hypervisor: Hypervisor, name: string): Promise<Domain | undefined> {
  try {
    return await hypervisor.domainLookupByName(name);
  } catch {
    return undefined;
  }
}

/** Destroys and undefines `name` if it exists: tests must leave no domain behind. */
export async function removeDomain(hypervisor: Hypervisor, name: string): Promise<void> {
  const domain = await lookup(hypervisor, name);
  if (!domain) return;
  await domain.destroy().catch(() => {});
  const still = await lookup(hypervisor, name);
  await still?.undefine().catch(() => {});
}

export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await sleep(50);
  }
}
