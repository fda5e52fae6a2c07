import { existsSync } from 'node:fs';
import { EngineError } from '@converge/engine-api';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { describeArgv, toArgv } from './command-line.js';
import { resolveCredentials } from './credentials.js';
import type { Credentials } from './credentials.js';
import { cannotStart, exitedNonZero, killedBySignal, stopped, timedOut } from './exec-errors.js';
import type { ErrorSite } from './exec-errors.js';
import { LineWatcher } from './line-watcher.js';
import type { ExecParams, ExecSends } from './params.js';
import { PathWatcher } from './path-watcher.js';
import type { CommandSpec, ProcessGroup } from './process-group.js';
import { MAX_CAPTURED_BYTES } from './output-capture.js';
import { runCommand } from './run-command.js';
import type { RunResult } from './run-command.js';

/** How much of a command's output a debug line shows: its end. */
const DEBUG_OUTPUT_CHARS = 4096;

function lastBytes(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

type Role = 'cmd' | 'ifcmd' | 'nifcmd' | 'donecmd' | 'watchcmd';

/**
 * One live exec resource. An exec has no state to inspect, so, like mgmt, it
 * keeps one: cmd runs on the first checkApply, and after that only once a
 * change was seen (a watchcmd line, a watched path changing), a refresh was
 * asked for, or a received param changed. Guards narrow every such run.
 */
export class ExecInstance implements ResourceInstance<ExecParams, ExecSends> {
  private context: ResourceContext<ExecParams, ExecSends> | undefined;
  private credentials: Credentials = {};
  /** Changes seen so far; the first checkApply counts as one. */
  private changesSeen = 1;
  /** `changesSeen` as it was when cmd last ran (or a guard said it need not). */
  private changesHandled = 0;
  /** Groups of commands running now, for interrupt and cleanup. */
  private readonly running = new Set<ProcessGroup>();
  /** Groups whose leader finished but whose children still run (`daemon &`): cleanup ends them. */
  private readonly leftovers = new Set<ProcessGroup>();
  private interrupted = false;
  private lineWatcher: LineWatcher | undefined;
  private pathWatchers: PathWatcher[] = [];

  // The engine owns `params` and writes received values into it before
  // checkApply, so it is read afresh on every run rather than copied.
  constructor(private readonly params: Readonly<ExecParams>) {}

  private get ctx(): ResourceContext<ExecParams, ExecSends> {
    if (!this.context) throw new Error('exec resource used before init');
    return this.context;
  }

  async init(ctx: ResourceContext<ExecParams, ExecSends>): Promise<void> {
    this.context = ctx;
    const { user, group } = this.params;
    if (!user && !group) return;
    const site = { resource: ctx.id, phase: 'init' as const };
    try {
      this.credentials = await resolveCredentials(user, group);
    } catch (error) {
      throw new EngineError('ERR_RESOURCE_INIT', `cannot resolve user/group: ${(error as Error).message}`, {
        ...site,
        cause: error,
        hint: 'use an existing user or group name, or a numeric id',
      });
    }
    const { uid, gid } = this.credentials;
    const switching = (uid !== undefined && uid !== process.getuid?.()) || (gid !== undefined && gid !== process.getgid?.());
    if (switching && process.getuid?.() !== 0) {
      throw new EngineError('ERR_RESOURCE_INIT', 'running commands as another user or group needs root', {
        ...site,
        hint: 'run converge as root, or remove `user` and `group`',
      });
    }
  }

  async watch(signal: AbortSignal): Promise<void> {
    let fail: (error: Error) => void = () => {};
    const died = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const site: ErrorSite = { resource: this.ctx.id, phase: 'watch' };
    try {
      const { watchcmd, watchshell, watchcwd, watchfiles = [], creates } = this.params;
      if (watchcmd) {
        const spec = this.spec(toArgv(watchcmd, watchshell), watchcwd);
        const command = describeArgv(spec.argv);
        let watcher: LineWatcher;
        try {
          watcher = await LineWatcher.start(spec, () => this.changed());
        } catch (error) {
          throw cannotStart(site, 'watchcmd', command, error);
        }
        this.lineWatcher = watcher;
        void watcher.ended.then(({ code, signal: killedBy, stderrTail }) => {
          if (watcher.isStopped) return;
          const why = killedBy ? `was killed by ${killedBy}` : `exited with code ${String(code)}`;
          fail(
            new EngineError('ERR_RESOURCE_WATCH', `watchcmd ${command} ${why}; it must keep running${stderrTail ? `; last lines of stderr:\n${stderrTail}` : ''}`, {
              ...site,
              hint: 'make watchcmd a command that never ends (e.g. a monitor printing one line per change)',
            }),
          );
        });
      }
      // `creates` is watched too, so that removing the path makes cmd run again.
      for (const path of creates ? [...watchfiles, creates] : watchfiles) {
        this.pathWatchers.push(
          new PathWatcher(
            path,
            () => this.changed(),
            (error) => fail(new EngineError('ERR_RESOURCE_WATCH', `cannot watch ${path}: ${error.message}`, { ...site, cause: error })),
          ),
        );
      }
      this.ctx.event();
      await Promise.race([untilAborted(signal), died]);
    } finally {
      await this.stopWatching();
    }
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    this.interrupted = false;
    const { refreshonly, donecmd, doneshell, donecwd } = this.params;
    const refresh = this.ctx.refresh();
    if (refreshonly && !refresh) return true;
    const received = [...this.ctx.recv().values()].some((value) => value.changed);
    // Polled (meta: {poll}): each checkApply is a tick, the event mgmt's poll makes; guards and cmd run.
    if (this.ctx.polled && this.changesHandled > 0) this.changesSeen += 1;
    const seen = this.changesSeen;
    if (!refreshonly && !refresh && !received && seen <= this.changesHandled) return true;

    if (await this.guardsBlock(signal)) {
      this.changesHandled = seen;
      return true;
    }
    if (!apply) return false;

    const timeoutMs = (this.params.timeout ?? 0) * 1000;
    const result = await this.runToSuccess('cmd', this.mainSpec(), signal, timeoutMs);
    if (donecmd) await this.runToSuccess('donecmd', this.spec(toArgv(donecmd, doneshell), donecwd), signal);
    this.ctx.send({ output: result.output, stdout: result.stdout, stderr: result.stderr, exitcode: result.code ?? 0 });
    this.changesHandled = seen;
    return false;
  }

  interrupt(): void {
    this.interrupted = true;
    for (const group of this.running) group.kill();
  }

  async cleanup(): Promise<void> {
    await this.stopWatching();
    const groups = [...this.running, ...this.leftovers];
    this.running.clear();
    this.leftovers.clear();
    await Promise.all(groups.map((group) => group.stop()));
  }

  /** A change seen by watch: cmd must run again at the next checkApply. */
  private changed(): void {
    this.changesSeen += 1;
    this.ctx.event();
  }

  /** True when a guard says cmd need not run (mgmt's order: ifcmd, nifcmd, creates). */
  private async guardsBlock(signal: AbortSignal): Promise<boolean> {
    const p = this.params;
    if (p.ifcmd) {
      const result = await this.run('ifcmd', this.spec(toArgv(p.ifcmd, p.ifshell), p.ifcwd), signal);
      if (result.code !== 0) return this.skip(`ifcmd exited with code ${String(result.code)}`);
      if (p.ifequals !== undefined && result.output === p.ifequals) return this.skip('ifcmd output equals ifequals');
      if (p.ifequals_stdout !== undefined && result.stdout === p.ifequals_stdout) {
        return this.skip('ifcmd stdout equals ifequals_stdout');
      }
    }
    if (p.nifcmd) {
      const result = await this.run('nifcmd', this.spec(toArgv(p.nifcmd, p.nifshell), p.nifcwd), signal);
      if (result.code === 0) return this.skip('nifcmd exited with code 0');
    }
    if (p.creates && existsSync(p.creates)) return this.skip(`${p.creates} exists`);
    return false;
  }

  private skip(reason: string): true {
    this.ctx.log.debug(`cmd skipped: ${reason}`);
    return true;
  }

  private mainSpec(): CommandSpec {
    const { cmd, shell, args } = this.params;
    return this.spec(toArgv(cmd, shell, args), undefined);
  }

  private spec(argv: CommandSpec['argv'], cwd: string | undefined): CommandSpec {
    return { argv, cwd: cwd || this.params.cwd || undefined, env: this.params.env ?? {}, credentials: this.credentials };
  }

  /** Runs a command that must exit 0. */
  private async runToSuccess(role: Role, spec: CommandSpec, signal: AbortSignal, timeoutMs = 0): Promise<RunResult> {
    const result = await this.run(role, spec, signal, timeoutMs);
    if (result.code !== 0) {
      throw exitedNonZero(this.site(), role, describeArgv(spec.argv), result.code ?? -1, result.stderr);
    }
    this.ctx.log.info(`${role} succeeded`, { command: describeArgv(spec.argv) });
    // What it printed, as mgmt logs it; at debug only (output can be long, or private).
    if (result.output !== '') this.ctx.log.debug(`${role} output`, { output: lastBytes(result.output, DEBUG_OUTPUT_CHARS) });
    return result;
  }

  /** Runs a command to its end; throws when it could not start, was stopped or was killed. */
  private async run(role: Role, spec: CommandSpec, signal: AbortSignal, timeoutMs = 0): Promise<RunResult> {
    const command = describeArgv(spec.argv);
    let result: RunResult;
    try {
      result = await runCommand(spec, { signal, timeoutMs, onStart: (group) => this.running.add(group) });
    } catch (error) {
      if (signal.aborted) throw stopped(this.site(), role, command, 'aborted', signal.reason);
      throw cannotStart(this.site(), role, command, error);
    }
    this.running.delete(result.group);
    if (result.group.isAlive()) this.leftovers.add(result.group);
    if (result.truncated) this.ctx.log.warn(`${role} printed more than res-exec keeps: only the last ${MAX_CAPTURED_BYTES / 1024 / 1024} MiB of each stream are kept (and sent)`, { command });
    if (this.interrupted) throw stopped(this.site(), role, command, 'interrupted');
    if (result.stoppedBy === 'timeout') throw timedOut(this.site(), role, command, timeoutMs / 1000, result.stderr);
    if (result.stoppedBy === 'abort') throw stopped(this.site(), role, command, 'aborted', signal.reason);
    if (result.signal) throw killedBySignal(this.site(), role, command, result.signal, result.stderr);
    return result;
  }

  private site(): ErrorSite {
    return { resource: this.ctx.id, phase: 'checkApply' };
  }

  private async stopWatching(): Promise<void> {
    for (const watcher of this.pathWatchers) watcher.close();
    this.pathWatchers = [];
    const lineWatcher = this.lineWatcher;
    this.lineWatcher = undefined;
    await lineWatcher?.stop();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
