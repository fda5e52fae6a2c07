import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { dockerClient, effectiveDockerHost } from './connection.js';
import { containerDifferences, createOptions } from './container-spec.js';
import { absentOn404, inspectImage, notModifiedIsFine } from './docker-calls.js';
import { containerDiffers, dockerCallFailed, exitedAtOnce, imageMissing, isRemovalInProgress, keepsExiting, statusOf } from './docker-errors.js';
import type { ErrorSite } from './docker-errors.js';
import { dockerTimeNano, followDockerEvents } from './event-watch.js';
import type { DockerEvent } from './event-watch.js';
import { logTail } from './container-logs.js';
import { withEnvValuesHidden } from './env-values-hidden.js';
import type { ContainerParams } from './params.js';

type Context = ResourceContext<ContainerParams, object>;

/** Engine states that count as `stopped`: the container exists and runs nothing. */
const STOPPED_STATUSES: readonly string[] = ['created', 'exited', 'dead'];
/** How long a started container must keep running before the start counts, and how often that is checked. */
const SETTLE_MS = 500;
const SETTLE_POLL_MS = 50;
/** How long to wait for a removal in progress (someone's `docker rm -f`) to finish. */
const REMOVAL_WAIT_MS = 15_000;
/** Events of our own failed start (start, die) come this long after its FinishedAt at most. */
const OWN_EVENT_SLACK_NS = 2_000_000_000n;
const OWN_START_ACTIONS: readonly string[] = ['create', 'start', 'die', 'attach'];
/**
 * A run shorter than this ended soon after its start; one this long resets
 * the back-off (as Docker's restart policy reckons it).
 */
const SHORT_RUN_MS = 10_000;
/** The wait before a start after the second short run in a row, doubled after each further one, up to the cap. */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/** Short runs in a row of a container wanted running: how many, the last one's end, and when it may start again. */
interface ShortRuns {
  readonly count: number;
  /** State.FinishedAt of the last one counted: a check that finds it again counts it once. */
  readonly finishedAt: string;
  /** Date.now() from which it is started again. */
  readonly startAt: number;
  /** The warning was given for this streak. */
  readonly warned: boolean;
}

/** One `docker:container` vertex: a container named after the resource, kept in `state`. */
export class ContainerInstance implements ResourceInstance<ContainerParams, object> {
  private context: Context | undefined;
  private client: Docker | undefined;
  private host = '';
  /** Events arriving while checkApply runs, judged when it ends (undefined: none running). */
  private held: (DockerEvent | undefined)[] | undefined;
  /** What the last dry-run check found to do, for describeChange (which the engine asks right after it). */
  private dryRun: string | undefined;
  /** The engine time up to which start/die events are those of our own start that failed. */
  private ownEventsUntil: bigint | undefined;
  /** A container that keeps exiting soon after each start: restarted after a back-off (undefined: it ran long, or never ended). */
  private shortRuns: ShortRuns | undefined;
  /** The check that starts it once its back-off is over. */
  private backOffTimer: NodeJS.Timeout | undefined;

  constructor(private readonly params: Readonly<ContainerParams>) {}

  init(ctx: Context): void {
    this.context = ctx;
    this.host = effectiveDockerHost(this.params.host);
    this.client = dockerClient(this.host, this.params.apiversion);
  }

  private get ctx(): Context {
    if (!this.context) throw new Error('docker:container used before init');
    return this.context;
  }

  private get docker(): Docker {
    if (!this.client) throw new Error('docker:container used before init');
    return this.client;
  }

  /** Events of this container only (by name), so other containers cost nothing. */
  async watch(signal: AbortSignal): Promise<void> {
    await followDockerEvents({
      docker: this.docker,
      filters: { type: ['container'], container: [this.ctx.name] },
      onEvent: (event) => this.onEngineEvent(event),
      log: this.ctx.log,
      signal,
    });
  }

  /**
   * Every event triggers a check, except the start and die of our own start
   * that exited at once: those would only start it again, in a loop. Events
   * during a checkApply wait for its end, when we know whether it failed so.
   */
  private onEngineEvent(event: DockerEvent | undefined): void {
    if (this.held) this.held.push(event);
    else if (!this.isOwnEvent(event)) this.ctx.event();
  }

  private isOwnEvent(event: DockerEvent | undefined): boolean {
    return (
      event?.timeNano !== undefined &&
      this.ownEventsUntil !== undefined &&
      event.timeNano <= this.ownEventsUntil &&
      OWN_START_ACTIONS.includes(event.action)
    );
  }

  cleanup(): void {
    clearTimeout(this.backOffTimer);
    this.backOffTimer = undefined;
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    this.held = [];
    this.dryRun = undefined;
    try {
      return await this.check(apply, signal);
    } finally {
      const held = this.held;
      this.held = undefined;
      if (held.some((event) => !this.isOwnEvent(event))) this.ctx.event();
    }
  }

  private async check(apply: boolean, signal: AbortSignal): Promise<boolean> {
    const site: ErrorSite = { resource: this.ctx.id, phase: 'checkApply' };
    const current = await this.call(site, 'inspecting the container', () => this.inspectContainer(signal));
    const { state } = this.params;

    if (state === 'removed') {
      if (!current) return true;
      if (!apply) return this.wouldDo(`remove container ${this.ctx.name} (now ${current.State.Status})`);
      await this.remove(site, current, signal);
      return false;
    }

    const image = await this.call(site, `inspecting image ${this.params.image}`, () => inspectImage(this.docker, this.params.image, signal));
    let reuse = current;
    let differences: string[] = [];
    if (current) {
      differences = containerDifferences(current, this.params, image);
      if (differences.length > 0) {
        if (!this.params.force) throw containerDiffers(site, this.ctx.name, differences);
        reuse = undefined;
        if (apply) this.ctx.log.info('recreating the container', { differences });
      }
    }
    if (reuse && this.inState(reuse.State.Status)) return true;
    // A container that keeps ending soon after each start is started again
    // after a back-off, as Docker's restart policy does (QA: restarted every
    // second, for ever). Until then it is not as the graph says: the check
    // fails (QA: counted converged, a --converged-exit run exited 0 with the
    // container down), and the check that starts it comes when the wait is over.
    if (apply && reuse && state === 'running' && reuse.State.Status === 'exited') {
      const wait = await this.backOff(reuse, signal);
      if (wait > 0) {
        this.checkAgainIn(wait);
        throw keepsExiting(site, reuse.State.ExitCode);
      }
    }
    // Checked before anything is removed, so a missing image never costs the
    // old container; in a dry run too, which fails as the real run would
    // (QA: told would change, exit 0), unless a resource before it would
    // change, a docker:image that pulls it (the error says missing).
    if (!reuse && !image) throw imageMissing(site, this.params.image, this.host);
    if (!apply) return this.wouldDo(dryRunSteps(this.ctx.name, this.params, { current, reuse, differences }));

    if (current && !reuse) await this.remove(site, current, signal);
    const id = reuse?.Id ?? (await this.create(site, signal));
    const status = reuse?.State.Status ?? 'created';
    if (state !== 'running') {
      if (!STOPPED_STATUSES.includes(status)) await this.stop(site, id, signal);
      return false;
    }
    try {
      await this.start(site, id, status, signal);
    } catch (error) {
      // Removed by hand between our inspect and our start (`docker rm -f`):
      // once the removal has finished, create it anew.
      const cause = (error as { cause?: unknown }).cause;
      if (!reuse || !(isRemovalInProgress(cause) || statusOf(cause) === 404)) throw error;
      await this.waitForRemoval(signal);
      if (!image) throw imageMissing(site, this.params.image, this.host);
      await this.start(site, await this.create(site, signal), 'created', signal);
    }
    return false;
  }

  /**
   * How long to wait before starting again a container that exited: 0 after
   * a run of SHORT_RUN_MS or more (a `docker stop` of a container that ran
   * for long is repaired at once), or after the first short run in a row;
   * then 1 s, doubling up to 60 s. A streak is told once, as a warning.
   */
  private async backOff(container: Docker.ContainerInspectInfo, signal: AbortSignal): Promise<number> {
    const { StartedAt: startedAt, FinishedAt: finishedAt, ExitCode: exitCode } = container.State;
    const started = dockerTimeNano(startedAt);
    const finished = dockerTimeNano(finishedAt);
    if (started === undefined || finished === undefined || finished < started) return 0;
    const ranMs = Number((finished - started) / 1_000_000n);
    if (ranMs >= SHORT_RUN_MS) {
      this.shortRuns = undefined;
      return 0;
    }
    const last = this.shortRuns;
    if (last?.finishedAt !== finishedAt) {
      const count = (last?.count ?? 0) + 1;
      const waitMs = count < 2 ? 0 : Math.min(BACKOFF_FIRST_MS * 2 ** (count - 2), BACKOFF_MAX_MS);
      const warn = waitMs > 0 && !last?.warned;
      this.shortRuns = { count, finishedAt, startAt: Date.now() + waitMs, warned: (last?.warned ?? false) || warn };
      if (warn) {
        // Its env values are hidden in what it wrote, as for a start that fails at once.
        const output = withEnvValuesHidden(await logTail(this.docker.getContainer(container.Id), container.Config.Tty, signal), this.params.env);
        this.ctx.log.warn(
          `the container keeps exiting soon after it starts (exit code ${exitCode} after ${seconds(ranMs)}): it is started again after a back-off, ${seconds(waitMs)} now, doubling up to ${seconds(BACKOFF_MAX_MS)}, until it keeps running for ${seconds(SHORT_RUN_MS)}`,
          { exitCode, ranFor: seconds(ranMs), ...(output ? { lastOutput: output } : {}), hint: 'give it a command that keeps running (cmd: [...]) or use state: stopped' },
        );
      } else if (waitMs > 0) {
        this.ctx.log.debug(`exited again soon after its start (exit code ${exitCode} after ${seconds(ranMs)}): started again in ${seconds(waitMs)}`);
      }
    }
    return Math.max(0, (this.shortRuns?.startAt ?? 0) - Date.now());
  }

  /** An event once `ms` have passed, for the check that starts the container after its back-off. */
  private checkAgainIn(ms: number): void {
    clearTimeout(this.backOffTimer);
    this.backOffTimer = setTimeout(() => {
      this.backOffTimer = undefined;
      this.ctx.event();
    }, ms);
    this.backOffTimer.unref();
  }

  /** Dry run: notes what would be done, for describeChange; false (not converged). */
  private wouldDo(steps: string): false {
    this.dryRun = steps;
    return false;
  }

  /** Dry run: what the check just found to do. */
  describeChange(): Promise<string | undefined> {
    return Promise.resolve(this.dryRun);
  }

  private inState(status: string): boolean {
    return this.params.state === 'running' ? status === 'running' : STOPPED_STATUSES.includes(status);
  }

  /** The container, or undefined when it is absent or being removed (then once its removal has finished). */
  private async inspectContainer(signal: AbortSignal): Promise<Docker.ContainerInspectInfo | undefined> {
    const info = await absentOn404(() => this.docker.getContainer(this.ctx.name).inspect({ abortSignal: signal }));
    if (info?.State.Status !== 'removing') return info;
    await this.waitForRemoval(signal);
    return absentOn404(() => this.docker.getContainer(this.ctx.name).inspect({ abortSignal: signal }));
  }

  /** Waits until a removal in progress has finished (or REMOVAL_WAIT_MS passed: then the next call says why). */
  private async waitForRemoval(signal: AbortSignal): Promise<void> {
    this.ctx.log.info('waiting for the removal of the container to finish');
    const deadline = Date.now() + REMOVAL_WAIT_MS;
    while (Date.now() < deadline) {
      const info = await absentOn404(() => this.docker.getContainer(this.ctx.name).inspect({ abortSignal: signal }));
      if (!info) return;
      await sleep(SETTLE_POLL_MS, undefined, { signal });
    }
  }

  private async create(site: ErrorSite, signal: AbortSignal): Promise<string> {
    this.ctx.log.info('creating the container', { image: this.params.image });
    const options = { ...createOptions(this.ctx.name, this.params), abortSignal: signal };
    const created = await this.call(site, 'creating the container', () => this.docker.createContainer(options));
    return created.id;
  }

  private async start(site: ErrorSite, id: string, status: string, signal: AbortSignal): Promise<void> {
    const container = this.docker.getContainer(id);
    if (status === 'paused') {
      this.ctx.log.info('unpausing the container');
      await this.call(site, 'unpausing the container', () => container.unpause({ abortSignal: signal }));
      return;
    }
    this.ctx.log.info('starting the container');
    await this.call(site, 'starting the container', () => notModifiedIsFine(() => container.start({ abortSignal: signal })));
    // A command that exits at once would make every later check start it
    // again; say so now instead of flapping.
    let after = await this.call(site, 'inspecting the container', () => container.inspect({ abortSignal: signal }));
    const settled = Date.now() + SETTLE_MS;
    while (after.State.Status === 'running' && Date.now() < settled) {
      await sleep(SETTLE_POLL_MS, undefined, { signal });
      after = await this.call(site, 'inspecting the container', () => container.inspect({ abortSignal: signal }));
    }
    if (after.State.Status !== 'running') {
      const finished = dockerTimeNano(after.State.FinishedAt);
      if (finished !== undefined) this.ownEventsUntil = finished + OWN_EVENT_SLACK_NS;
      // Its env values are hidden in what it wrote (a token echoed as it failed).
      const tail = withEnvValuesHidden(await logTail(container, after.Config.Tty, signal), this.params.env);
      throw exitedAtOnce(site, this.ctx.name, after.State.Status, after.State.ExitCode, withEnvValuesHidden(after.State.Error, this.params.env), tail);
    }
  }

  private async stop(site: ErrorSite, id: string, signal: AbortSignal): Promise<void> {
    this.ctx.log.info('stopping the container');
    const container = this.docker.getContainer(id);
    await this.call(site, 'stopping the container', () => notModifiedIsFine(() => container.stop({ abortSignal: signal })));
  }

  /** Stops gracefully first (the container's own stop signal and timeout), then removes. */
  private async remove(site: ErrorSite, current: Docker.ContainerInspectInfo, signal: AbortSignal): Promise<void> {
    if (!STOPPED_STATUSES.includes(current.State.Status)) await this.stop(site, current.Id, signal);
    this.ctx.log.info('removing the container');
    const container = this.docker.getContainer(current.Id);
    await this.call(site, 'removing the container', () =>
      absentOn404(() => container.remove({ force: true, abortSignal: signal })),
    );
  }

  /** Runs one engine call, turning its failure into an EngineError that names the call. */
  private async call<T>(site: ErrorSite, what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw dockerCallFailed(site, what, this.host, error);
    }
  }
}

/** What a real check would do to the container, as a dry run tells it (differences name no values: env may hold secrets). */
function dryRunSteps(
  name: string,
  params: Readonly<ContainerParams>,
  found: { current: unknown; reuse: Docker.ContainerInspectInfo | undefined; differences: readonly string[] },
): string {
  const { current, reuse, differences } = found;
  if (reuse) {
    const status = reuse.State.Status;
    if (params.state !== 'running') return `stop container ${name} (now ${status})`;
    return `${status === 'paused' ? 'unpause' : 'start'} container ${name} (now ${status})`;
  }
  const target = params.state === 'running' ? 'start it' : 'leave it stopped';
  if (current) return `recreate container ${name} from ${params.image} and ${target} (${differences.join('; ')})`;
  return `create container ${name} from ${params.image} and ${target}`;
}

/** Milliseconds as seconds for a message: `1.1 s`, `60 s`. */
function seconds(ms: number): string {
  return `${Number.isInteger(ms / 1000) ? ms / 1000 : (ms / 1000).toFixed(1)} s`;
}
