import { isEngineError } from '@converge/engine-api';
import type { EngineError, ResourceContext, ResourceInstance } from '@converge/engine-api';
import type { Domain, DomainInfo } from '@unraid/libvirt';
import { setTimeout as sleep } from 'node:timers/promises';
import { hardwareDifferences, wantedHardware } from './domain-hardware.js';
import { watchDomain } from './domain-watch.js';
import { buildDomainXml, domainTypeOf, parseDomainXml } from './domain-xml.js';
import { isNoKvmRefusal, kvmOffered, noKvmHint } from './kvm-support.js';
import type { DomainDescription, Redefinition } from './domain-xml.js';
import { DomainState, isActive, isUnreachable, LibvirtConnection } from './libvirt-connection.js';
import type { VirtParams } from './params.js';
import { connectHint, virtError, withWouldChange } from './virt-errors.js';
import { virsh, VirshError, virshSharesDriver } from './virsh.js';

/** How long a guest may take to shut down for a restart (as in mgmt). */
const SHUTDOWN_TIMEOUT_MS = 5 * 60_000;
const SHUTDOWN_POLL_MS = 250;

/** What a step found: nothing to do, something it changed, or (noop) something it would change. */
type Step = 'ok' | 'changed' | 'diverged';

/** What a live domain needs to match the params. */
interface LivePlan {
  readonly hotCpus: boolean;
  readonly hotMemory: boolean;
  /** Differences only a restart can apply. */
  readonly cold: readonly string[];
}

/** A live `virt` resource: one libvirt domain, named after the resource. */
export class VirtInstance implements ResourceInstance<VirtParams, object> {
  private ctx!: ResourceContext<VirtParams, object>;
  private connection: LibvirtConnection | undefined;
  /**
   * The balloon target last asked for, per run of the domain (its id). A
   * guest without a balloon driver never reaches it; asking once per run
   * keeps every check from applying again.
   */
  private balloonAsked: { readonly id: number | null; readonly kib: number } | undefined;
  private lastIgnored = '';
  /** Live changes the hypervisor refused while the domain is to be paused, per run (id) and wanted value. */
  private readonly refusedLive = new Set<string>();
  /** What the last dry-run check found to do, in order, for describeChange (which the engine asks right after it). */
  private dryRun: string[] = [];
  /** Dry run: the definition step found changes to make (the live step must not say the definition has them). */
  private dryRunRedefines = false;
  /** Dry run: where in `dryRun` the first step that defines or starts the domain is (see failWithoutKvm). */
  private dryRunBoots: number | undefined;

  constructor(private readonly params: Readonly<VirtParams>) {}

  async init(ctx: ResourceContext<VirtParams, object>): Promise<void> {
    this.ctx = ctx;
    const uri = this.params.uri;
    let connection: LibvirtConnection | undefined;
    try {
      connection = await LibvirtConnection.create(uri);
      await connection.open();
    } catch (cause) {
      // A libvirtd that does not answer yet may later (as a docker daemon):
      // the checks fail, and are retried, until it does. A bad URI or a
      // missing binding will not get better.
      if (!connection || !isUnreachable(cause)) throw virtError(ctx.id, 'init', `cannot connect to ${uri}`, { cause, hint: connectHint(uri, cause) });
      ctx.log.warn(`libvirt does not answer at ${uri} yet: the checks connect once it does`, { error: String(cause) });
    }
    this.connection = connection;
  }

  async watch(signal: AbortSignal): Promise<void> {
    try {
      await watchDomain({
        uri: this.params.uri,
        name: this.ctx.name,
        connection: this.conn(),
        log: this.ctx.log,
        onChange: () => this.ctx.event(),
        signal,
      });
    } catch (cause) {
      throw virtError(this.ctx.id, 'watch', 'watching the domain failed', { cause });
    }
  }

  async cleanup(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    this.dryRun = [];
    this.dryRunRedefines = false;
    this.dryRunBoots = undefined;
    try {
      const converged = await this.converge(apply, signal);
      if (!apply && this.dryRunBoots !== undefined) await this.failWithoutKvm(signal);
      return converged;
    } catch (cause) {
      const failure = this.checkFailure(cause);
      // A dry run that found steps to take before it failed (a definition to
      // update, a paused domain to resume): the real run takes them, then
      // fails the same way. The engine tells both: what it would do
      // (describeChange), then the failure (QA: the steps went unsaid).
      throw !apply && this.dryRun.length > 0 ? withWouldChange(failure) : failure;
    }
  }

  private checkFailure(cause: unknown): EngineError {
    if (isEngineError(cause)) return cause;
    const uri = this.params.uri;
    if (isUnreachable(cause)) return virtError(this.ctx.id, 'checkApply', `cannot connect to ${uri}`, { cause, hint: connectHint(uri, cause) });
    return virtError(this.ctx.id, 'checkApply', 'libvirt refused', { cause, ...(isNoKvmRefusal(cause) ? { hint: noKvmHint(uri) } : {}) });
  }

  /**
   * A dry run that would define or start a kvm domain where the hypervisor
   * offers no KVM fails there, as the real run does at that step (QA: a
   * clean dry run, then the real run refused by libvirt). Only the steps
   * before it are told as would change. Not `missing`: KVM is the host's
   * (its kernel, its firmware), not something a resource before this one
   * makes, and a file or package that would change before it would
   * otherwise pass for the cause.
   */
  private async failWithoutKvm(signal: AbortSignal): Promise<void> {
    const uri = this.params.uri;
    if (domainTypeOf(uri) !== 'kvm' || (await kvmOffered(uri, signal)) !== false) return;
    this.dryRun = this.dryRun.slice(0, this.dryRunBoots);
    throw virtError(this.ctx.id, 'checkApply', `the domain cannot be defined or started: libvirt at ${uri} offers no domain type kvm`, { hint: noKvmHint(uri) });
  }

  /** Dry run: what checkApply(false) found to do, step by step. */
  describeChange(): Promise<string | undefined> {
    return Promise.resolve(this.dryRun.length > 0 ? this.dryRun.join('; ') : undefined);
  }

  /** Dry run: notes a step that would be taken; the check goes on to find the others (steps that depend on it do not run). */
  private wouldDo(step: string): 'diverged' {
    this.dryRun.push(step);
    return 'diverged';
  }

  /** Dry run: wouldDo, for a step that defines or starts the domain, which libvirt refuses for a kvm domain on a host without KVM. */
  private wouldBoot(step: string): 'diverged' {
    this.dryRunBoots ??= this.dryRun.length;
    return this.wouldDo(step);
  }

  private async converge(apply: boolean, signal: AbortSignal): Promise<boolean> {
    const p = this.params;
    const name = this.ctx.name;
    const conn = this.conn();
    const absent = p.transient && p.state === 'shutoff';
    let changed = false;
    // Dry run only: a step would change something. The later steps are still
    // looked at, so that the dry run tells all that would be done.
    let diverged = false;

    let domain = await conn.lookup(name);
    if (!domain) {
      if (absent) return true;
      if (!apply) {
        this.wouldBoot(creationStep(p));
        return false;
      }
      domain = await this.createDomain();
      changed = true;
    }

    if (domain && (await conn.isPersistent(name)) === p.transient) {
      if (!apply) {
        // What the next steps find depends on the new definition: they are not looked at.
        if (p.transient) this.wouldDo('undefine the domain (to make it transient)');
        else this.wouldBoot('define the domain (to make it persistent)');
        return false;
      }
      domain = await this.fixPersistence(domain);
      changed = true;
    }

    // Powering off needs no live change: the state wins, and cpus and memory
    // then only go to the definition (a live unplug may be refused, and a
    // restart would be pointless).
    if (p.state === 'shutoff') {
      const state = await this.fixState(domain, apply);
      diverged ||= state === 'diverged';
      if (state === 'changed') {
        changed = true;
        domain = await conn.lookup(name); // a destroyed transient domain is gone
      }
    }

    if (domain && !p.transient) {
      const step = await this.fixDefinition(domain, apply);
      diverged ||= step === 'diverged';
      changed ||= step === 'changed';
    }

    let liveFailure: unknown;
    if (p.state !== 'shutoff' && domain && isActive((await conn.info(domain)).state)) {
      try {
        const step = await this.fixLiveDomain(domain, apply, signal);
        diverged ||= step === 'diverged';
        if (step === 'changed') {
          changed = true;
          domain = await conn.lookup(name); // a restarted transient domain is gone until the state step
        }
      } catch (error) {
        // The state is seen to all the same (a paused domain wanted running
        // is resumed), then the failure is told.
        liveFailure = error;
      }
    }

    if (p.state !== 'shutoff') {
      const state = await this.fixState(domain, apply);
      diverged ||= state === 'diverged';
      changed ||= state === 'changed';
    }
    if (liveFailure !== undefined) throw liveFailure;

    const autostart = await this.fixAutostart(apply, signal);
    diverged ||= autostart === 'diverged';
    changed ||= autostart === 'changed';
    return !changed && !diverged;
  }

  /** Defines and/or starts the domain from the params, in the wanted state. */
  private async createDomain(redefinition?: Redefinition): Promise<Domain | undefined> {
    const p = this.params;
    const conn = this.conn();
    const xml = buildDomainXml(this.ctx.name, p, redefinition);
    if (p.transient) {
      if (p.state === 'shutoff') return undefined;
      // The binding has no VIR_DOMAIN_START_PAUSED: a paused domain runs for a moment first.
      const domain = await conn.createTransient(xml);
      if (p.state === 'paused') await domain.suspend();
      this.ctx.log.info(`transient domain created ${p.state}`);
      return domain;
    }
    const domain = await conn.define(xml);
    this.ctx.log.info('domain defined');
    if (p.state !== 'shutoff') {
      await domain.create();
      if (p.state === 'paused') await domain.suspend();
      this.ctx.log.info(`domain started ${p.state}`);
    }
    return domain;
  }

  /** Makes a persistent domain transient (undefine) or a transient one persistent (define). */
  private async fixPersistence(domain: Domain): Promise<Domain | undefined> {
    const conn = this.conn();
    if (this.params.transient) {
      await domain.undefine();
      this.ctx.log.info('domain undefined');
      // A shut-off domain is gone once undefined; a live one lives on, transient.
      return conn.lookup(this.ctx.name);
    }
    const live = parseDomainXml(await conn.liveXml(domain));
    const defined = await conn.define(buildDomainXml(this.ctx.name, this.params, redefinitionOf(live)));
    this.ctx.log.info('domain defined');
    return defined;
  }

  /** Makes a persistent domain's definition (its next boot) match the params. */
  private async fixDefinition(domain: Domain, apply: boolean): Promise<Step> {
    const conn = this.conn();
    const config = parseDomainXml(await conn.configXml(domain));
    const differences = hardwareDifferences(wantedHardware(this.params), config.hardware);
    if (config.cpus !== this.params.cpus) differences.push(`cpus ${config.cpus} -> ${this.params.cpus}`);
    if (config.currentMemory !== this.params.memory) differences.push('current memory');
    if (differences.length === 0) return 'ok';
    if (!apply) {
      this.dryRunRedefines = true;
      return this.wouldBoot(`redefine the domain for its next boot: ${differences.join(', ')}`);
    }
    await conn.define(buildDomainXml(this.ctx.name, this.params, redefinitionOf(config)));
    this.ctx.log.info('domain redefined', { changes: differences });
    return 'changed';
  }

  /**
   * Hot-plugs cpus and memory where the driver allows; restarts per
   * restartondiverge or refresh. A domain to be paused is never restarted
   * (a paused guest cannot shut down, and a restart would run it): what
   * needs a restart, or what the hypervisor refuses live, is a warning, and
   * a persistent domain's definition already holds it for the next boot.
   */
  private async fixLiveDomain(domain: Domain, apply: boolean, signal: AbortSignal): Promise<Step> {
    const p = this.params;
    const conn = this.conn();
    const info = await conn.info(domain);
    const id = await domain.getID();
    const plan = this.planLive(info, parseDomainXml(await conn.liveXml(domain)), id);
    if (p.state === 'paused') return this.fixPausingDomain(plan, info, id, apply, signal);
    const refreshRestart = p.restartonrefresh && this.ctx.refresh();
    if (refreshRestart || (plan.cold.length > 0 && p.restartondiverge === 'ifneeded')) {
      if (!apply) return this.wouldBoot(refreshRestart ? 'restart the domain (refresh)' : `restart the domain to apply: ${plan.cold.join(', ')}`);
      this.ctx.log.info('restarting the domain', { reason: refreshRestart ? 'refresh' : plan.cold });
      await this.shutDownAndWait(domain, signal);
      return 'changed';
    }
    if (plan.cold.length > 0 && p.restartondiverge === 'error') {
      // A dry run fails the same way: it foretells what the real run meets,
      // and changes nothing either way. The steps it noted before (and the
      // state step after: a paused domain is resumed first) are told with it.
      throw virtError(this.ctx.id, 'checkApply', `the running domain needs a restart to apply: ${plan.cold.join(', ')}`, {
        hint: 'restart it yourself, or set restartondiverge: ifneeded to let converge restart it (or ignore to leave it)',
      });
    }
    if (plan.cold.length > 0 && plan.cold.join() !== this.lastIgnored) {
      this.lastIgnored = plan.cold.join();
      this.ctx.log.warn('the running domain differs until its next restart (restartondiverge: ignore)', { changes: plan.cold });
    }
    if (!plan.hotCpus && !plan.hotMemory) return 'ok';
    if (!apply) return this.wouldDo(hotChanges(plan, info, p.cpus, p.memory).join(', '));
    const cpus = !plan.hotCpus || (await this.triedLive(refusedKey(id, 'cpus', p.cpus), () => this.hotplugCpus(info, signal)));
    const memory = !plan.hotMemory || (await this.triedLive(refusedKey(id, 'memory', p.memory), () => this.balloonMemory(info, id, signal)));
    if (cpus && memory) return 'changed';
    // What the hypervisor refused live (a cpu that cannot be unplugged) is a
    // change that needs a restart from now on: planned again, it goes as
    // restartondiverge says (restart, error, or a warning with ignore).
    const next = await this.fixLiveDomain(domain, apply, signal);
    return next === 'ok' && (plan.hotCpus && cpus || plan.hotMemory && memory) ? 'changed' : next;
  }

  /** Runs a live change; false (and remembered, by `key`) when the hypervisor refuses it. */
  private async triedLive(key: string, run: () => Promise<void>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (cause) {
      if (!(cause instanceof VirshError)) throw cause;
      this.refusedLive.add(key);
      this.ctx.log.warn('the hypervisor refused a live change: it needs a restart', { refused: lastLine(cause.stderr) });
      return false;
    }
  }

  /** The live step for a domain to be paused: live changes if they work, never a restart nor an error. */
  private async fixPausingDomain(
    plan: LivePlan,
    info: DomainInfo,
    id: number | null,
    apply: boolean,
    signal: AbortSignal,
  ): Promise<Step> {
    const p = this.params;
    const pending = [...plan.cold];
    const refused: string[] = [];
    let step: Step = 'ok';
    const tries = [
      {
        hot: plan.hotCpus,
        key: refusedKey(id, 'cpus', p.cpus),
        what: `cpus ${info.nrVirtCpu} -> ${p.cpus}`,
        run: () => this.hotplugCpus(info, signal),
      },
      {
        hot: plan.hotMemory,
        key: refusedKey(id, 'memory', p.memory),
        what: balloonChange(info, p.memory),
        run: () => this.balloonMemory(info, id, signal),
      },
    ].filter((t) => t.hot);
    if (tries.length > 0 && !apply) return this.wouldDo(hotChanges(plan, info, p.cpus, p.memory).join(', '));
    for (const t of tries) {
      try {
        await t.run();
        step = 'changed';
      } catch (cause) {
        if (!(cause instanceof VirshError)) throw cause;
        this.refusedLive.add(t.key);
        pending.push(t.what);
        refused.push(`${t.what}: ${lastLine(cause.stderr)}`);
      }
    }
    // Sorted, so the same changes found by planLive on later checks do not warn again.
    pending.sort();
    // In a dry run that would redefine the domain first, its definition does not have the changes yet: the definition step tells them.
    const wouldRedefine = !apply && this.dryRunRedefines;
    if (!wouldRedefine && pending.length > 0 && pending.join() !== this.lastIgnored) {
      this.lastIgnored = pending.join();
      const message = p.transient
        ? 'the paused transient domain keeps what it was started with (it has no next boot to take the changes)'
        : 'the paused domain keeps what it was started with; its definition has the changes for the next boot';
      this.ctx.log.warn(message, refused.length > 0 ? { changes: pending, refused } : { changes: pending });
    }
    return step;
  }

  private async hotplugCpus(info: DomainInfo, signal: AbortSignal): Promise<void> {
    await virsh(this.params.uri, ['setvcpus', this.ctx.name, String(this.params.cpus), '--live'], signal);
    this.ctx.log.info(`cpus hot-plugged: ${info.nrVirtCpu} -> ${this.params.cpus}`);
  }

  private async balloonMemory(info: DomainInfo, id: number | null, signal: AbortSignal): Promise<void> {
    await virsh(this.params.uri, ['setmem', this.ctx.name, String(this.params.memory), '--live'], signal);
    this.balloonAsked = { id, kib: this.params.memory };
    this.ctx.log.info(`memory balloon target set: ${info.memory} -> ${this.params.memory} KiB`);
  }

  private planLive(info: DomainInfo, live: DomainDescription, id: number | null): LivePlan {
    const p = this.params;
    // Hot-plugging goes through virsh, which must reach the same hypervisor.
    const canHotplug = virshSharesDriver(p.uri);
    const cold = hardwareDifferences(wantedHardware(p), live.hardware).filter((d) => !d.startsWith('memory'));
    let hotCpus = false;
    if (info.nrVirtCpu !== p.cpus) {
      const refused = this.refusedLive.has(refusedKey(id, 'cpus', p.cpus));
      if (canHotplug && p.hotcpus && p.cpus <= live.hardware.maxcpus && !refused) hotCpus = true;
      else cold.push(`cpus ${info.nrVirtCpu} -> ${p.cpus}`);
    }
    let hotMemory = false;
    if (info.maxMem !== p.memory) {
      // Ballooning moves memory below the size the machine was started with; more needs a restart.
      if (canHotplug && p.memory < info.maxMem) {
        const asked = this.balloonAsked?.id === id && this.balloonAsked.kib === p.memory;
        hotMemory = info.memory !== p.memory && !asked;
      } else cold.push(`memory ${info.maxMem} KiB -> ${p.memory} KiB`);
    } else if (info.memory !== p.memory && !(this.balloonAsked?.id === id && this.balloonAsked.kib === p.memory)) {
      hotMemory = canHotplug;
    }
    if (hotMemory && this.refusedLive.has(refusedKey(id, 'memory', p.memory))) {
      hotMemory = false;
      cold.push(balloonChange(info, p.memory));
    }
    return { hotCpus, hotMemory, cold };
  }

  /** Asks the guest to shut down and waits until it has (mgmt waits up to 5 minutes too). */
  private async shutDownAndWait(domain: Domain, signal: AbortSignal): Promise<void> {
    await domain.shutdown();
    const deadline = Date.now() + SHUTDOWN_TIMEOUT_MS;
    for (;;) {
      const current = await this.conn().lookup(this.ctx.name);
      if (!current || !isActive((await this.conn().info(current)).state)) return;
      if (Date.now() > deadline) {
        throw virtError(this.ctx.id, 'checkApply', `the domain did not shut down within ${SHUTDOWN_TIMEOUT_MS / 1000} s`, {
          hint: 'check that the guest handles ACPI shutdown, or stop it yourself',
        });
      }
      await sleep(SHUTDOWN_POLL_MS, undefined, { signal });
    }
  }

  /** Starts, pauses, resumes or destroys the domain to reach `state`. */
  private async fixState(domain: Domain | undefined, apply: boolean): Promise<Step> {
    const p = this.params;
    if (!domain) {
      if (p.transient && p.state === 'shutoff') return 'ok';
      if (!apply) return this.wouldBoot(creationStep(p));
      await this.createDomain();
      return 'changed';
    }
    const state = (await this.conn().info(domain)).state;
    const active = isActive(state);
    const log = this.ctx.log;
    if (p.state === 'running') {
      if (active && state !== DomainState.PAUSED) return 'ok';
      if (!apply) return active ? this.wouldDo('resume the domain (now paused)') : this.wouldBoot('start the domain (now shut off)');
      if (active) await domain.resume();
      else await domain.create();
      log.info(active ? 'domain resumed' : 'domain started');
      return 'changed';
    }
    if (p.state === 'paused') {
      if (state === DomainState.PAUSED) return 'ok';
      if (!apply) return active ? this.wouldDo('pause the domain (now running)') : this.wouldBoot('start the domain paused (now shut off)');
      if (!active) await domain.create();
      await domain.suspend();
      log.info(active ? 'domain paused' : 'domain started paused');
      return 'changed';
    }
    if (!active) return 'ok';
    if (!apply) return this.wouldDo(`power off the domain (now ${state === DomainState.PAUSED ? 'paused' : 'running'})${p.transient ? ', which removes it (transient)' : ''}`);
    // As mgmt: shutoff is a hard power-off; a transient domain is gone afterwards.
    await domain.destroy();
    log.info('domain destroyed');
    return 'changed';
  }

  private async fixAutostart(apply: boolean, signal: AbortSignal): Promise<Step> {
    const p = this.params;
    if (p.startup === '' || p.transient) return 'ok';
    const wanted = p.startup === 'enabled';
    if ((await this.conn().isAutostart(this.ctx.name)) === wanted) return 'ok';
    if (!apply) return this.wouldDo(wanted ? 'enable autostart' : 'disable autostart');
    if (!virshSharesDriver(p.uri)) {
      throw virtError(this.ctx.id, 'checkApply', `autostart cannot be set on ${p.uri}`, {
        hint: '@unraid/libvirt cannot set autostart and virsh cannot reach the per-process test driver: leave startup empty',
      });
    }
    await virsh(p.uri, wanted ? ['autostart', this.ctx.name] : ['autostart', '--disable', this.ctx.name], signal);
    this.ctx.log.info(`autostart ${p.startup}`);
    return 'changed';
  }

  private conn(): LibvirtConnection {
    if (!this.connection) throw virtError(this.ctx.id, 'checkApply', 'no libvirt connection (init did not run or cleanup ran)');
    return this.connection;
  }
}

/** What must survive defining an existing domain again. */
function redefinitionOf(description: DomainDescription): Redefinition | undefined {
  if (description.uuid === undefined) return undefined;
  return { uuid: description.uuid, macs: description.hardware.networks.map((n) => n.mac) };
}

/** Names a live change the hypervisor refused, for one run of the domain and one wanted value. */
function refusedKey(id: number | null, what: 'cpus' | 'memory', wanted: number): string {
  return `${id}:${what}:${wanted}`;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function balloonChange(info: DomainInfo, kib: number): string {
  return `memory balloon ${info.memory} KiB -> ${kib} KiB`;
}

/** Dry run: how a missing domain would be made. */
function creationStep(p: Readonly<VirtParams>): string {
  const state = p.state === 'shutoff' ? 'shut off' : p.state;
  return p.transient ? `create the transient domain, ${state}` : `define the domain${p.state === 'shutoff' ? '' : ` and start it${p.state === 'paused' ? ' paused' : ''}`}`;
}

/** Dry run: the live changes a plan would make. */
function hotChanges(plan: LivePlan, info: DomainInfo, cpus: number, memory: number): string[] {
  const changes: string[] = [];
  if (plan.hotCpus) changes.push(`hot-plug cpus ${info.nrVirtCpu} -> ${cpus}`);
  if (plan.hotMemory) changes.push(balloonChange(info, memory));
  return changes;
}
