import type Docker from 'dockerode';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { dockerClient, effectiveDockerHost } from './connection.js';
import { containerDifferences, createOptions } from './container-spec.js';
import { absentOn404, inspectImage, notModifiedIsFine } from './docker-calls.js';
import { containerDiffers, dockerCallFailed, imageMissing } from './docker-errors.js';
import type { ErrorSite } from './docker-errors.js';
import { followDockerEvents } from './event-watch.js';
import type { ContainerParams } from './params.js';

type Context = ResourceContext<ContainerParams, object>;

/** Engine states that count as `stopped`: the container exists and runs nothing. */
const STOPPED_STATUSES: readonly string[] = ['created', 'exited', 'dead'];

/** One `docker:container` vertex: a container named after the resource, kept in `state`. */
export class ContainerInstance implements ResourceInstance<ContainerParams, object> {
  private context: Context | undefined;
  private client: Docker | undefined;
  private host = '';

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
      onEvent: () => this.ctx.event(),
      log: this.ctx.log,
      signal,
    });
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    const site: ErrorSite = { resource: this.ctx.id, phase: 'checkApply' };
    const current = await this.call(site, 'inspecting the container', () => this.inspectContainer(signal));
    const { state } = this.params;

    if (state === 'removed') {
      if (!current) return true;
      if (!apply) return false;
      await this.remove(site, current, signal);
      return false;
    }

    const image = await this.call(site, `inspecting image ${this.params.image}`, () => inspectImage(this.docker, this.params.image, signal));
    let reuse = current;
    if (current) {
      const differences = containerDifferences(current, this.params, image);
      if (differences.length > 0) {
        if (!this.params.force) throw containerDiffers(site, this.ctx.name, differences);
        reuse = undefined;
        if (apply) this.ctx.log.info('recreating the container', { differences });
      }
    }
    if (reuse && this.inState(reuse.State.Status)) return true;
    if (!apply) return false;
    // Checked before anything is removed, so a missing image never costs the old container.
    if (!reuse && !image) throw imageMissing(site, this.params.image, this.host);

    if (current && !reuse) await this.remove(site, current, signal);
    const id = reuse?.Id ?? (await this.create(site, signal));
    const status = reuse?.State.Status ?? 'created';
    if (state === 'running') await this.start(site, id, status, signal);
    else if (!STOPPED_STATUSES.includes(status)) await this.stop(site, id, signal);
    return false;
  }

  private inState(status: string): boolean {
    return this.params.state === 'running' ? status === 'running' : STOPPED_STATUSES.includes(status);
  }

  private async inspectContainer(signal: AbortSignal): Promise<Docker.ContainerInspectInfo | undefined> {
    return absentOn404(() => this.docker.getContainer(this.ctx.name).inspect({ abortSignal: signal }));
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
    const after = await this.call(site, 'inspecting the container', () => container.inspect({ abortSignal: signal }));
    if (after.State.Status !== 'running') {
      const detail = after.State.Error ? `: ${after.State.Error}` : '';
      throw dockerCallFailed(
        site,
        'starting the container',
        this.host,
        new Error(`it is ${after.State.Status} right after starting (exit code ${after.State.ExitCode})${detail}`),
      );
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
