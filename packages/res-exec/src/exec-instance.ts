import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { EngineError } from '@converge/engine-api';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { describeArgv, toArgv } from './command-line.js';
import type { Credentials } from './credentials.js';
import { afterChanges, cannotStart, exitedNonZero, killedBySignal, lineTooLong, stopped, timedOut, withStderr } from './exec-errors.js';
import type { ErrorSite } from './exec-errors.js';
import { LineWatcher } from './line-watcher.js';
import { LiveGroups } from './live-groups.js';
import type { ExecParams, ExecSends } from './params.js';
import type { CommandSpec } from './process-group.js';
import { MAX_CAPTURED_BYTES } from './output-capture.js';
import { runAs } from './run-as.js';
import { UnknownNameError } from './credentials.js';
import { runCommand } from './run-command.js';
import { whyCannotStart } from './startable.js';
import type { RunResult } from './run-command.js';
import { lastBytes } from './text-tail.js';
import { GroupLedger } from './group-ledger.js';
import { GROUP_TOKEN_VAR } from './group-token.js';
import { watchEntry } from './watch-entry.js';
import { fingerprintPath } from './path-fingerprint.js';
import type { PathFingerprint } from './path-fingerprint.js';
import type { EntryWatch } from './watch-entry.js';

/** How much of a command's output a debug line shows: its end. */
const DEBUG_OUTPUT_BYTES = 4096;

/** How many times a watched path written under a tick ago is read again before its run (see readWatchedPaths). */
const READ_AGAIN_TIMES = 4;

type Role = 'cmd' | 'ifcmd' | 'nifcmd' | 'donecmd' | 'watchcmd';

/** The params watchcmd runs with (see watchSpec and spec). */
const WATCHCMD_PARAMS = ['watchcmd', 'watchshell', 'watchcwd', 'cwd', 'env', 'user', 'group'] as const;

/**
 * One live exec resource. An exec has no state to inspect, so, like mgmt, it
 * keeps one: cmd runs on the first checkApply, and after that only once a
 * change was seen (a watchcmd line, a watched path changing), a refresh was
 * asked for, or a received param changed. Guards narrow every such run.
 */
export class ExecInstance implements ResourceInstance<ExecParams, ExecSends> {
  private context: ResourceContext<ExecParams, ExecSends> | undefined;
  /** Changes seen so far; the first checkApply counts as one. */
  private changesSeen = 1;
  /** `changesSeen` as it was when cmd last ran (or a guard said it need not). */
  private changesHandled = 0;
  /** Every group started and not yet known to be empty, for interrupt and cleanup. */
  private readonly groups = new LiveGroups();
  private interrupted = false;
  private lineWatcher: LineWatcher | undefined;
  /** Fails the running watch; set while watch() runs. */
  private failWatch: ((error: Error) => void) | undefined;
  private pathWatchers: EntryWatch[] = [];
  /** watchcmd's user or group did not exist when the watch started: it starts at the first check. */
  private watchcmdWaitsForUser = false;
  /** Each watched path as the last check that ran the guards found it (see watchedPathsChanged). */
  private fingerprints = new Map<string, PathFingerprint>();
  /** Until the first applying check: where earlier runs' process groups were written down. */
  private ledger: GroupLedger | undefined;

  // The engine owns `params` and writes received values into it before
  // checkApply, so it is read afresh on every run rather than copied.
  constructor(private readonly params: Readonly<ExecParams>) {}

  private get ctx(): ResourceContext<ExecParams, ExecSends> {
    if (!this.context) throw new Error('exec resource used before init');
    return this.context;
  }

  async init(ctx: ResourceContext<ExecParams, ExecSends>): Promise<void> {
    this.context = ctx;
    // user and group are not resolved here: a resource that runs first may
    // create them (useradd), as in mgmt. Each run resolves them as they are then.
    this.ledger = new GroupLedger(() => ctx.varDir('process-groups'));
    this.groups.keepIn(this.ledger);
  }

  /**
   * Commands a killed engine left running are ended at this resource's first
   * applying check, before it runs its own (a dry run changes nothing, and
   * ends nothing).
   */
  private async endWhatAKilledRunLeft(): Promise<void> {
    const ledger = this.ledger;
    this.ledger = undefined;
    if (ledger === undefined) return;
    for (const { pgid, processes, outcome } of await ledger.reapLeftGroups()) {
      const count = `${processes} process${processes === 1 ? '' : 'es'}`;
      if (outcome === 'killed') this.ctx.log.warn(`killed process group ${pgid} (${count}) that a run of this resource left running when its converge was killed`);
      else this.ctx.log.warn(`left process group ${pgid} (${count}) alone: a run of this resource that was killed started a group with this id, but its leader is gone and none of its processes carries that run's ${GROUP_TOKEN_VAR}, so it may be another group that got the id later; end it yourself if it is that command`);
    }
  }

  async watch(signal: AbortSignal): Promise<void> {
    let fail: (error: Error) => void = () => {};
    const died = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const site: ErrorSite = { resource: this.ctx.id, phase: 'watch' };
    try {
      // Without watchcmd nothing is awaited: the watch is live at once.
      // One whose command or user an edge fills starts at the first
      // checkApply, with the values received (never as root meanwhile).
      if (this.params.watchcmd && !this.watchcmdWaitsForValues()) {
        const credentials = await runAs(this.params.user, this.params.group, site, this.ctx.receives, signal).catch((error: unknown) => {
          // A user or group an earlier resource creates (useradd) is not there yet: watchcmd starts at the first check, as cmd runs then.
          if (!(error instanceof EngineError && error.cause instanceof UnknownNameError)) throw error;
          this.watchcmdWaitsForUser = true;
          this.ctx.log.info(`watchcmd starts at the first check: ${error.message}`);
          return undefined;
        });
        const spec = credentials && this.watchSpec(credentials);
        if (spec) await this.startLineWatcher(spec, site, fail);
      }
      this.failWatch = fail;
      for (const path of this.watchedPaths()) {
        this.pathWatchers.push(
          watchEntry(
            path,
            () => this.pathChanged(path),
            (error) => fail(new EngineError('ERR_RESOURCE_WATCH', `cannot watch ${path}: ${error.message}`, { ...site, cause: error })),
          ),
        );
      }
      // A folder watched whole is walked first: a change in it while the first cmd runs is then seen.
      const walks = this.pathWatchers.flatMap((watcher) => (watcher.ready ? [watcher.ready] : []));
      if (walks.length > 0) await Promise.race([Promise.all(walks), died, untilAborted(signal)]);
      this.ctx.event();
      await Promise.race([untilAborted(signal), died]);
    } finally {
      this.failWatch = undefined;
      await this.stopWatching();
    }
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    // Taken before changesSeen is read below: a watchcmd line after this is a new change, told again.
    this.lineWatcher?.changeTaken();
    if (apply && this.ledger !== undefined) await this.endWhatAKilledRunLeft();
    this.interrupted = false;
    // A watchcmd held back for its user (see watch) starts now, whether or not cmd has anything to do.
    if (this.watchcmdWaitsForUser && this.lineWatcher === undefined && this.failWatch !== undefined) {
      await this.restartWatchcmdIfChanged(await runAs(this.params.user, this.params.group, this.site(), this.ctx.receives, signal));
    }
    const { refreshonly, donecmd, doneshell, donecwd } = this.params;
    const refresh = this.ctx.refresh();
    if (refreshonly && !refresh) return true;
    const received = [...this.ctx.recv().values()].some((value) => value.changed);
    // Polled (meta: {poll}): each checkApply is a tick, the event mgmt's poll makes; guards and cmd run.
    if (this.ctx.polled && this.changesHandled > 0) this.changesSeen += 1;
    if (this.changesSeen <= this.changesHandled && this.watchedPathsChanged()) this.changesSeen += 1;
    if (!refreshonly && !refresh && !received && this.changesSeen <= this.changesHandled) return true;
    await this.readWatchedPaths();
    // Counted once the paths are read: a change told until then happened before, and this run sees it.
    const seen = this.changesSeen;

    // user and group as they are now: a received one takes effect (or fails) here.
    const credentials = await runAs(this.params.user, this.params.group, this.site(), this.ctx.receives, signal);
    await this.restartWatchcmdIfChanged(credentials);
    if (await this.guardsBlock(signal, credentials)) {
      this.changesHandled = seen;
      return true;
    }
    if (!apply) {
      this.failIfCannotStart(credentials);
      return false;
    }

    const timeoutMs = (this.params.timeout ?? 0) * 1000;
    const result = await this.runToSuccess('cmd', this.mainSpec(credentials), signal, timeoutMs);
    if (donecmd) await this.runToSuccess('donecmd', this.spec(toArgv(donecmd, doneshell), donecwd, credentials), signal);
    this.ctx.send({ output: result.output, stdout: result.stdout, stderr: result.stderr, exitcode: result.code ?? 0 });
    this.changesHandled = seen;
    return false;
  }

  /**
   * A dry run (`--noop`): what a real run would run, its guards having said
   * it would. Env values are not shown: they may hold secrets.
   */
  describeChange(): Promise<string | undefined> {
    const { cmd, shell, args, cwd, user, group, timeout, donecmd, doneshell, donecwd } = this.params;
    const how = [cwd ? `in ${cwd}` : '', user ? `as user ${user}` : '', group ? `as group ${group}` : '', timeout ? `timeout ${timeout} s` : ''].filter((part) => part !== '');
    const lines = [`run ${describeArgv(toArgv(cmd, shell, args))}${how.length > 0 ? ` (${how.join(', ')})` : ''}`];
    if (donecmd) lines.push(`then run ${describeArgv(toArgv(donecmd, doneshell))}${donecwd ? ` (in ${donecwd})` : ''}`);
    return Promise.resolve(lines.join('\n'));
  }

  /**
   * SIGKILL to every group still alive (cmd, guards, donecmd, watchcmd, left
   * behind or being stopped), synchronously: on the third stop signal the
   * engine exits right after this returns.
   */
  interrupt(): void {
    this.interrupted = true;
    this.groups.killAll();
  }

  async cleanup(): Promise<void> {
    await this.stopWatching();
    await this.groups.stopAll();
  }

  /** `creates` is watched too, so that removing the path makes cmd run again. */
  private watchedPaths(): string[] {
    const { watchfiles = [], creates } = this.params;
    return creates ? [...watchfiles, creates] : watchfiles;
  }

  /**
   * Each watched path as this run starts, for the events that come after it
   * (see pathChanged). One changed under a tick ago, as a parent resource
   * that has just written it leaves it, is read again once the tick is over
   * (16 ms; a few times at most: a path written without pause is left
   * unsettled, and its events count). Read at once, it could not vouch for
   * "unchanged since", and the event of that very write, told after this
   * run, would run cmd a second time (QA: most changes ran twice under a
   * file -> exec edge). Read after the wait, any later write has a later
   * ctime.
   */
  private async readWatchedPaths(): Promise<void> {
    const read = (): Map<string, PathFingerprint> => new Map(this.watchedPaths().map((path) => [path, fingerprintPath(path)]));
    let fingerprints = read();
    // A timer may fire early by the wall clock (the event loop's time is read once per turn): read until settled.
    for (let tries = 0; tries < READ_AGAIN_TIMES; tries += 1) {
      const wait = Math.max(0, ...[...fingerprints.values()].map((fingerprint) => fingerprint.settlesInMs));
      if (wait === 0) break;
      await sleep(wait);
      fingerprints = read();
    }
    this.fingerprints = fingerprints;
  }

  /**
   * A watched path no longer as the last run found it: a change its watch
   * has not told yet counts all the same. The engine checks a parent before
   * a child about to run (for the child's event): when both watch the path
   * and the child's watch told first, the parent's check comes before its
   * own event, and would find nothing to do and let the child run first.
   */
  private watchedPathsChanged(): boolean {
    return this.watchedPaths().some((path) => {
      const before = this.fingerprints.get(path);
      return before !== undefined && fingerprintPath(path).text !== before.text;
    });
  }

  /**
   * An event of a watched path. One that a check already saw (above) and
   * ran for is not a second change: the path is still as that run found it.
   * Not so for a folder watched whole, whose own entry does not show what
   * changed deeper, nor when the fingerprint cannot vouch (see PathFingerprint).
   */
  private pathChanged(path: string): void {
    const before = this.fingerprints.get(path);
    if (!path.endsWith('/') && before?.settled && fingerprintPath(path).text === before.text) {
      this.ctx.log.debug(`${path} changed before the last check, which saw it`);
      return;
    }
    this.changed();
  }

  /** A change seen by watch: cmd must run again at the next checkApply. */
  private changed(): void {
    this.changesSeen += 1;
    this.ctx.event();
  }

  /** True when a guard says cmd need not run (mgmt's order: ifcmd, nifcmd, creates). */
  private async guardsBlock(signal: AbortSignal, credentials: Credentials): Promise<boolean> {
    const p = this.params;
    if (p.ifcmd) {
      const result = await this.run('ifcmd', this.spec(toArgv(p.ifcmd, p.ifshell), p.ifcwd, credentials), signal);
      if (result.code !== 0) return this.skip(`ifcmd exited with code ${String(result.code)}`);
      if (p.ifequals !== undefined && result.output === p.ifequals) return this.skip('ifcmd output equals ifequals');
      if (p.ifequals_stdout !== undefined && result.stdout === p.ifequals_stdout) {
        return this.skip('ifcmd stdout equals ifequals_stdout');
      }
    }
    if (p.nifcmd) {
      const result = await this.run('nifcmd', this.spec(toArgv(p.nifcmd, p.nifshell), p.nifcwd, credentials), signal);
      if (result.code === 0) return this.skip('nifcmd exited with code 0');
    }
    if (p.creates && existsSync(p.creates)) return this.skip(`${p.creates} exists`);
    return false;
  }

  /**
   * A dry run does not start cmd or donecmd, so it looks for what starting
   * them needs: one whose cwd or program is not there fails the check as
   * the real run would, as missing (a resource before it, a package, may
   * make it: the engine then tells it would change after that one). donecmd
   * fails only after cmd ran: the real run would change first.
   */
  private failIfCannotStart(credentials: Credentials): void {
    const { donecmd, doneshell, donecwd } = this.params;
    const commands: Array<[Role, CommandSpec]> = [['cmd', this.mainSpec(credentials)]];
    if (donecmd) commands.push(['donecmd', this.spec(toArgv(donecmd, doneshell), donecwd, credentials)]);
    for (const [role, spec] of commands) {
      const why = whyCannotStart(spec);
      if (why === undefined) continue;
      const error = cannotStart(this.site(), role, describeArgv(spec.argv), why, spec.cwd, this.who());
      throw role === 'cmd' ? error : afterChanges(error);
    }
  }

  private skip(reason: string): true {
    this.ctx.log.debug(`cmd skipped: ${reason}`);
    return true;
  }

  private mainSpec(credentials: Credentials): CommandSpec {
    const { cmd, shell, args } = this.params;
    return this.spec(toArgv(cmd, shell, args), undefined, credentials);
  }

  private watchSpec(credentials: Credentials): CommandSpec | undefined {
    const { watchcmd, watchshell, watchcwd } = this.params;
    return watchcmd ? this.spec(toArgv(watchcmd, watchshell), watchcwd, credentials) : undefined;
  }

  private spec(argv: CommandSpec['argv'], cwd: string | undefined, credentials: Credentials): CommandSpec {
    return { argv, cwd: cwd || this.params.cwd || undefined, env: this.params.env ?? {}, credentials };
  }

  /** Starts watchcmd; when it ends by itself, `fail` fails the watch. */
  private async startLineWatcher(spec: CommandSpec, site: ErrorSite, fail: (error: Error) => void): Promise<void> {
    const command = describeArgv(spec.argv);
    let watcher: LineWatcher;
    try {
      watcher = await LineWatcher.start(spec, () => this.changed(), (command) => this.groups.start(command));
    } catch (error) {
      throw cannotStart(site, 'watchcmd', command, error, spec.cwd, this.who());
    }
    this.lineWatcher = watcher;
    void watcher.ended.then((end) => {
      if (watcher.isStopped) return;
      if (end.reason === 'line too long') return fail(lineTooLong(site, command, end.limit));
      const { code, signal: killedBy, stderrTail, startFailure } = end;
      if (startFailure) return fail(cannotStart(site, 'watchcmd', command, startFailure, spec.cwd, this.who()));
      const why = killedBy ? `was killed by ${killedBy}` : `exited with code ${String(code)}`;
      fail(
        new EngineError('ERR_RESOURCE_WATCH', withStderr(`watchcmd ${command} ${why}; it must keep running`, stderrTail), {
          ...site,
          // Worded for a resource that has retry or rewatch already too: the kind does not see its metaparams.
          hint: 'make watchcmd a command that never ends (e.g. a monitor printing one line per change); meta: {retry: N, delay: MS} or {rewatch: true} start it again when it ends',
        }),
      );
    });
  }

  /** True when an edge fills a param watchcmd runs with: it then starts at the first checkApply. */
  private watchcmdWaitsForValues(): boolean {
    if (this.watchcmdWaitsForUser) return true;
    const receives = this.ctx.receives;
    return receives !== undefined && WATCHCMD_PARAMS.some((param) => receives.has(param));
  }

  /**
   * The watch starts before anything is received: when watchcmd's params
   * (its user and group above all) are no longer those it runs with, it is
   * restarted with the new ones, so it never keeps running as the wrong user.
   */
  private async restartWatchcmdIfChanged(credentials: Credentials): Promise<void> {
    const running = this.lineWatcher;
    const fail = this.failWatch;
    const wanted = this.watchSpec(credentials);
    if (!fail || !wanted) return;
    if (running ? isDeepStrictEqual(running.spec, wanted) : !this.watchcmdWaitsForValues()) return;
    this.lineWatcher = undefined;
    if (running) await this.stopLineWatcher(running);
    if (this.failWatch !== fail) return; // the watch ended meanwhile: nothing to restart
    const site: ErrorSite = { resource: this.ctx.id, phase: 'watch' };
    await this.startLineWatcher(wanted, site, fail).catch(fail);
  }

  /** Runs a command that must exit 0. */
  private async runToSuccess(role: Role, spec: CommandSpec, signal: AbortSignal, timeoutMs = 0): Promise<RunResult> {
    const result = await this.run(role, spec, signal, timeoutMs);
    if (result.code !== 0) {
      throw exitedNonZero(this.site(), role, describeArgv(spec.argv), result.code ?? -1, result.stderr);
    }
    if (signal.aborted) {
      // Stopped (a timeout, a forced stop, the watch's end) and then exited 0 (a trap that finished its work): not "succeeded",
      // as the engine may already count the run as failed (a timeout or forced stop does not wait for it).
      const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
      this.ctx.log.warn(`${role} exited with 0 after it was told to stop (${reason})`, { command: describeArgv(spec.argv) });
    } else {
      this.ctx.log.info(`${role} succeeded`, { command: describeArgv(spec.argv) });
    }
    // What it printed, as mgmt logs it; at debug only (output can be long, or private).
    if (result.output !== '') this.ctx.log.debug(`${role} output`, { output: lastBytes(result.output, DEBUG_OUTPUT_BYTES) });
    return result;
  }

  /** Runs a command to its end; throws when it could not start, was stopped or was killed. */
  private async run(role: Role, spec: CommandSpec, signal: AbortSignal, timeoutMs = 0): Promise<RunResult> {
    const command = describeArgv(spec.argv);
    let result: RunResult;
    try {
      result = await runCommand(spec, { signal, timeoutMs, start: (command) => this.groups.start(command) });
    } catch (error) {
      if (signal.aborted) throw stopped(this.site(), role, command, 'aborted', signal.reason);
      throw cannotStart(this.site(), role, command, error, spec.cwd, this.who());
    }
    // Children it left behind (`daemon &`) keep the group tracked: cleanup ends them.
    this.groups.forgetIfEmpty(result.group);
    if (result.startFailure) throw cannotStart(this.site(), role, command, result.startFailure, spec.cwd, this.who());
    if (result.truncated) this.ctx.log.warn(`${role} printed more than res-exec keeps: only the last ${MAX_CAPTURED_BYTES / 1024 / 1024} MiB of each stream are kept (and sent)`, { command });
    if (this.interrupted) throw stopped(this.site(), role, command, 'interrupted');
    // The code it ended with by itself after the stop signal (its TERM trap); undefined when it was killed.
    const exitedWith = result.signal || result.code === null ? undefined : result.code;
    if (result.stoppedBy === 'timeout') throw timedOut(this.site(), role, command, timeoutMs / 1000, result.stderr, exitedWith);
    // Ended by itself with 0 after the stop signal (it finished its work
    // first, as a command that traps SIGTERM does): done, not stopped (QA:
    // told as killed and maybe half done).
    if (result.stoppedBy === 'abort' && result.code === 0 && !result.signal) return result;
    // What it printed last may say why it had to be stopped (a lock it waited for).
    if (result.stoppedBy === 'abort') throw stopped(this.site(), role, command, 'aborted', signal.reason, result.stderr, exitedWith);
    if (result.signal) throw killedBySignal(this.site(), role, command, result.signal, result.stderr);
    return result;
  }

  /** Who commands run as, for errors: `user nobody`; a received value is hidden by the engine. */
  private who(): string | undefined {
    const { user, group } = this.params;
    const parts = [user ? `user ${user}` : '', group ? `group ${group}` : ''].filter((part) => part !== '');
    return parts.length > 0 ? parts.join(' and ') : undefined;
  }

  private site(): ErrorSite {
    return { resource: this.ctx.id, phase: 'checkApply' };
  }

  private async stopWatching(): Promise<void> {
    for (const watcher of this.pathWatchers) watcher.close();
    this.pathWatchers = [];
    const lineWatcher = this.lineWatcher;
    this.lineWatcher = undefined;
    if (lineWatcher) await this.stopLineWatcher(lineWatcher);
  }

  private async stopLineWatcher(watcher: LineWatcher): Promise<void> {
    await watcher.stop();
    this.groups.forgetIfEmpty(watcher.group);
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
