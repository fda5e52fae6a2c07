import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@converge/engine-api';

/** The filters of GET /events, as the engine takes them. */
export type EventFilters = Readonly<Record<string, readonly string[]>>;

export interface EventWatchOptions {
  readonly docker: Docker;
  readonly filters: EventFilters;
  /** Called once the stream is live (first time and after every reconnect), then per event. */
  readonly onEvent: () => void;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Backoff bounds between reconnection attempts, in ms. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Follows the engine's event stream until `signal` aborts. When the stream
 * breaks (the daemon restarted or is down), it reconnects with exponential
 * backoff; every (re)connection is an event, since anything may have changed
 * while nobody was listening. Never throws.
 */
export async function followDockerEvents(options: EventWatchOptions): Promise<void> {
  const { signal, log } = options;
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let backoff = minBackoff;
  let connectedBefore = false;
  while (!signal.aborted) {
    try {
      const stream = await options.docker.getEvents({
        filters: JSON.stringify(options.filters),
        abortSignal: signal,
      } as Docker.GetEventsOptions);
      if (connectedBefore) log.info('reconnected to the Docker event stream');
      connectedBefore = true;
      backoff = minBackoff;
      options.onEvent();
      await consume(stream, options.onEvent, signal);
      if (!signal.aborted) log.warn('the Docker event stream ended; reconnecting');
    } catch (error) {
      if (signal.aborted) break;
      log.warn('cannot follow the Docker event stream; retrying', {
        error: error instanceof Error ? error.message : String(error),
        retryInMs: backoff,
      });
    }
    await sleep(backoff, undefined, { signal }).catch(() => undefined);
    backoff = Math.min(backoff * 2, maxBackoff);
  }
}

/** Reads the stream until it ends, errors or `signal` aborts; each chunk holds whole or partial JSON events. */
function consume(stream: NodeJS.ReadableStream, onEvent: () => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
    const finish = () => {
      signal.removeEventListener('abort', finish);
      stream.removeListener('data', onData);
      destroyable.destroy?.();
      resolve();
    };
    // Events are newline-delimited JSON; any bytes mean something happened,
    // and checkApply reads the real state, so the payload need not be parsed.
    const onData = () => onEvent();
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
    signal.addEventListener('abort', finish, { once: true });
  });
}
