import { EngineError } from '@converge/engine-api';
import type { EngineErrorCode, Phase } from '@converge/engine-api';

/** Where an error happened: the resource (`kind[name]`) and the lifecycle step. */
export interface ErrorSite {
  readonly resource: string;
  readonly phase: Phase;
}

/** What dockerode attaches to an error from the engine's HTTP API. */
interface DockerApiError {
  readonly statusCode?: number;
  readonly json?: { readonly message?: unknown } | null;
}

/** The HTTP status of an engine API error, or undefined for a transport error. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as DockerApiError | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message for an API error, else the error's message. */
export function reasonOf(error: unknown): string {
  const json = (error as DockerApiError | null)?.json;
  // The engine's messages (a pull's error line among them) may end in white space or a newline.
  if (json && typeof json.message === 'string') return json.message.trim();
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = (error instanceof Error ? error.message : String(error)).trim();
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function codeFor(phase: Phase): EngineErrorCode {
  if (phase === 'watch') return 'ERR_RESOURCE_WATCH';
  if (phase === 'init') return 'ERR_RESOURCE_INIT';
  if (phase === 'cleanup') return 'ERR_RESOURCE_CLEANUP';
  return 'ERR_RESOURCE_CHECK_APPLY';
}

/** A call to the engine failed; says which call, on which host, and why. */
export function dockerCallFailed(site: ErrorSite, what: string, host: string, cause: unknown): EngineError {
  const unreachable = statusOf(cause) === undefined;
  return new EngineError(codeFor(site.phase), `${what} failed on the Docker engine at ${host}: ${reasonOf(cause)}`, {
    ...site,
    cause,
    ...(unreachable ? { hint: 'check that dockerd runs and that `host` (or DOCKER_HOST) points at its socket' } : {}),
  });
}

/** A container must be created but its image is not on the engine; containers never pull. */
export function imageMissing(site: ErrorSite, image: string, host: string): EngineError {
  return new EngineError(codeFor(site.phase), `image ${image} is absent from the Docker engine at ${host}, so the container cannot be created`, {
    ...site,
    hint: `provide the image first: add a docker:image resource named ${image} (it pulls, and runs before this container), or load it with \`docker load\` / \`docker import\``,
    // A docker:image resource of the graph may pull it first.
    missing: true,
  });
}

/** Pulling an image failed (no registry, unknown image, no access). */
export function pullFailed(site: ErrorSite, image: string, host: string, cause: unknown): EngineError {
  return new EngineError(codeFor(site.phase), `image ${image} is absent from the Docker engine at ${host} and pulling it failed: ${reasonOf(cause)}`, {
    ...site,
    cause,
    hint: 'check the image name and that a registry is reachable, or provide the image offline with `docker load` / `docker import`',
  });
}

/** The container exists with another image or config and `force` is off. */
export function containerDiffers(site: ErrorSite, name: string, differences: readonly string[]): EngineError {
  return new EngineError(
    codeFor(site.phase),
    `container ${name} exists but differs from its params: ${differences.join('; ')}`,
    { ...site, hint: 'set `force: true` to remove and recreate it, or remove the container by hand' },
  );
}

/**
 * A started container stopped again at once: an error, so the engine does
 * not start it again and again. Paused or being removed is someone else's
 * doing (`docker pause`, `docker rm -f`), not its command's: told so, not
 * with the advice for a command that ends (QA).
 */
export function exitedAtOnce(site: ErrorSite, name: string, status: string, exitCode: number, detail: string, logTail: string): EngineError {
  if (status === 'paused' || status === 'removing') {
    return new EngineError(codeFor(site.phase), `container ${name} was ${status === 'paused' ? 'paused' : 'removed'} by another client right after converge started it`, {
      ...site,
      hint: 'converge starts it again at its next check (an event of the container brings one); stop whatever else manages it',
    });
  }
  const output = logTail ? `; its last output: ${JSON.stringify(logTail)}` : '; it wrote no output';
  // 128 + the signal: ended by SIGKILL or SIGTERM, most often another client's (`docker kill`, `docker stop`), not its command's end.
  const signal = exitCode === 137 ? 'SIGKILL' : exitCode === 143 ? 'SIGTERM' : undefined;
  if (status === 'exited' && signal !== undefined) {
    return new EngineError(codeFor(site.phase), `container ${name} was killed by ${signal} right after starting (exit code ${exitCode})${detail ? `: ${detail}` : ''}${output}`, {
      ...site,
      hint: 'if another client stops it (docker kill, docker stop), stop that: converge starts it again at its next check; if it ran out of memory, give it more',
    });
  }
  return new EngineError(
    codeFor(site.phase),
    `container ${name} ${status === 'exited' ? 'exited' : `is ${status}`} right after starting (exit code ${exitCode})${detail ? `: ${detail}` : ''}${output}`,
    { ...site, hint: 'give it a command that keeps running (cmd: [...]) or use state: stopped' },
  );
}

/** The engine refused because the container is being removed (`docker rm -f` in progress). */
export function isRemovalInProgress(error: unknown): boolean {
  return /marked for removal|removal of container .* is already in progress/i.test(reasonOf(error));
}

/**
 * A container wanted running that keeps exiting soon after each start,
 * waiting out its back-off. The same words each time (the wait is in the
 * warning and the debug lines), so that it is told once per streak.
 */
export function keepsExiting(site: ErrorSite, exitCode: number): EngineError {
  return new EngineError(codeFor(site.phase), `the container keeps exiting soon after it starts (last exit code ${exitCode}): it is not running, and is started again after a back-off`, {
    ...site,
    hint: 'give it a command that keeps running (cmd: [...]), or use state: stopped; its output is in the warning above and in `docker logs`',
  });
}
