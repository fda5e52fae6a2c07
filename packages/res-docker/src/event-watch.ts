import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@converge/engine-api';

/** The filters of GET /events, as the engine takes them. */
export type EventFilters = Readonly<Record<string, readonly string[]>>;

/** The fields of one engine event that the resources look at. */
export interface DockerEvent {
  /** What happened: `start`, `die`, `destroy`, `untag`, ... */
  readonly action: string;
  /** When it happened, in the engine's clock, in nanoseconds since the epoch. */
  readonly timeNano?: bigint;
}

export interface EventWatchOptions {
  readonly docker: Docker;
  readonly filters: EventFilters;
  /**
   * Called without an event once the stream is live (first time and after
   * every reconnect) and once when the first connection fails (so checkApply
   * runs and reports the unreachable engine), then with each event.
   */
  readonly onEvent: (event?: DockerEvent) => void;
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
  let signalled = false;
  while (!signal.aborted) {
    try {
      const stream = await options.docker.getEvents({
        filters: JSON.stringify(options.filters),
        abortSignal: signal,
      } as Docker.GetEventsOptions);
      if (connectedBefore) log.info('reconnected to the Docker event stream');
      connectedBefore = true;
      signalled = true;
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
      // Once, so checkApply runs and says the engine cannot be reached,
      // instead of the resource staying pending while the stream is retried.
      if (!signalled) {
        signalled = true;
        options.onEvent();
      }
    }
    await sleep(backoff, undefined, { signal }).catch(() => undefined);
    backoff = Math.min(backoff * 2, maxBackoff);
  }
}

/** Reads the stream until it ends, errors or `signal` aborts; each chunk holds whole or partial JSON events. */
function consume(stream: NodeJS.ReadableStream, onEvent: (event?: DockerEvent) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
    const finish = () => {
      signal.removeEventListener('abort', finish);
      stream.removeListener('data', onData);
      destroyable.destroy?.();
      resolve();
    };
    // Events are newline-delimited JSON, possibly split across chunks.
    let buffered = '';
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onEvent(parseEvent(line));
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
    signal.addEventListener('abort', finish, { once: true });
  });
}

/** An event's action and time (undefined when unreadable: such an event is never taken for our own). */
export function parseEvent(line: string): DockerEvent {
  // timeNano exceeds a double's precision: read its digits from the text.
  const nanos = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
  let action = '';
  try {
    const raw = JSON.parse(line) as { Action?: unknown; status?: unknown };
    action = typeof raw.Action === 'string' ? raw.Action : typeof raw.status === 'string' ? raw.status : '';
  } catch {
    // Still an event: something happened.
  }
  return nanos ? { action, timeNano: BigInt(nanos) } : { action };
}

/** An engine timestamp (RFC 3339 with up to nanoseconds) in nanoseconds since the epoch; undefined for the zero time or junk. */
export function dockerTimeNano(timestamp: string | undefined): bigint | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp ?? '');
  if (!match?.[1] || !match[3]) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
