import type Docker from 'dockerode';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { dockerClient, effectiveDockerHost } from './connection.js';
import { absentOn404, inspectImage } from './docker-calls.js';
import { dockerCallFailed, pullFailed } from './docker-errors.js';
import type { ErrorSite } from './docker-errors.js';
import { followDockerEvents } from './event-watch.js';
import type { ImageParams } from './params.js';

type Context = ResourceContext<ImageParams, object>;

/** One line of a pull's progress stream; failures may arrive here with HTTP 200. */
interface PullProgress {
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/** One `docker:image` vertex: the image named by the resource, present or absent. */
export class ImageInstance implements ResourceInstance<ImageParams, object> {
  private context: Context | undefined;
  private client: Docker | undefined;
  private host = '';
  /** What the last dry-run check found to do, for describeChange (which the engine asks right after it). */
  private dryRun: string | undefined;

  constructor(private readonly params: Readonly<ImageParams>) {}

  init(ctx: Context): void {
    this.context = ctx;
    this.host = effectiveDockerHost(this.params.host);
    this.client = dockerClient(this.host, this.params.apiversion);
  }

  private get ctx(): Context {
    if (!this.context) throw new Error('docker:image used before init');
    return this.context;
  }

  private get docker(): Docker {
    if (!this.client) throw new Error('docker:image used before init');
    return this.client;
  }

  /**
   * Every image event: the engine's `image` filter misses untag events (they
   * name the image id, not the reference), and a check is one cheap inspect.
   */
  async watch(signal: AbortSignal): Promise<void> {
    await followDockerEvents({
      docker: this.docker,
      filters: { type: ['image'] },
      onEvent: () => this.ctx.event(),
      log: this.ctx.log,
      signal,
    });
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    const site: ErrorSite = { resource: this.ctx.id, phase: 'checkApply' };
    const ref = this.ctx.name;
    this.dryRun = undefined;
    const present = (await this.inspect(site, signal)) !== undefined;
    if (present === (this.params.state === 'exists')) return true;
    if (!apply) {
      this.dryRun = `${this.params.state === 'absent' ? 'remove' : 'pull'} image ${ref}`;
      return false;
    }

    if (this.params.state === 'absent') {
      this.ctx.log.info('removing the image');
      const image = this.docker.getImage(ref);
      try {
        await absentOn404(() => image.remove({ abortSignal: signal }));
      } catch (error) {
        throw dockerCallFailed(site, `removing image ${ref}`, this.host, error);
      }
      return false;
    }

    this.ctx.log.info('pulling the image');
    try {
      await this.pull(ref, signal);
    } catch (error) {
      throw pullFailed(site, ref, this.host, error);
    }
    if ((await this.inspect(site, signal)) === undefined) {
      throw pullFailed(site, ref, this.host, new Error('the pull ended but the image is still not there'));
    }
    return false;
  }

  /** Dry run: what the check just found to do. */
  describeChange(): Promise<string | undefined> {
    return Promise.resolve(this.dryRun);
  }

  private async inspect(site: ErrorSite, signal: AbortSignal): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await inspectImage(this.docker, this.ctx.name, signal);
    } catch (error) {
      throw dockerCallFailed(site, `inspecting image ${this.ctx.name}`, this.host, error);
    }
  }

  /** Pulls and waits for the progress stream to end; an error line in it fails the pull. */
  private async pull(ref: string, signal: AbortSignal): Promise<void> {
    const stream = await this.docker.pull(ref, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (error: Error | null, output: readonly PullProgress[]) => {
          const failed = output?.find((line) => line.error !== undefined);
          if (error) reject(error);
          else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
          else resolve();
        },
      );
    });
  }
}
