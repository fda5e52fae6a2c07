import type { ServerResponse } from 'node:http';
import type { Engine } from '@converge/engine';
import { listenHttp, type HttpEndpoint } from '../http-endpoint.js';
import type { ListenAddress } from '../listen-address.js';
import { EventStream } from './event-stream.js';
import { graphSnapshot, statusView, type StatusView } from './live-view-model.js';
import { PAGE_HTML, PAGE_SCRIPT, PAGE_STYLE } from './page.js';

/** The part of the engine the view reads. */
export type LiveViewSource = Pick<Engine, 'onEvent' | 'statuses' | 'topology' | 'converged'>;

/** Status changes are sent in batches at most this often: a busy graph must not flood the page. */
const BATCH_MS = 50;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const FILES: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
  '/app.css': { type: 'text/css; charset=utf-8', body: PAGE_STYLE },
};

/**
 * `--ui ADDRESS`: a web page showing the running graph and each resource's
 * live state, pushed to the browser with Server-Sent Events at `/events`.
 * `title` names the graph; `convergedDetection` is false when the converger
 * timeout is off (-1), so the page says so instead of "not converged".
 * Closing it ends every stream and stops listening.
 */
export async function serveLiveView(engine: LiveViewSource, address: ListenAddress, title: string, convergedDetection: boolean): Promise<HttpEndpoint> {
  const stream = new EventStream();
  const stopped = new AbortController();
  const snapshot = () => graphSnapshot(title, engine.topology(), engine.statuses(), { now: engine.converged.get(), detection: convergedDetection });

  const pending = new Map<string, StatusView>();
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    stream.broadcast('status', [...pending.values()]);
    pending.clear();
  };
  const unsubscribe = engine.onEvent((event) => {
    if (event.type === 'status') {
      if (event.status.hidden) return;
      pending.set(event.status.id, statusView(event.status));
      flushTimer ??= setTimeout(flush, BATCH_MS);
    } else if (event.type === 'swap') {
      // A new graph: redraw from scratch; the snapshot holds every status.
      pending.clear();
      clearTimeout(flushTimer);
      flushTimer = undefined;
      stream.broadcast('graph', snapshot());
    }
  });
  void forwardConverged(engine, stream, stopped.signal);

  const stop = (): void => {
    stopped.abort();
    unsubscribe();
    clearTimeout(flushTimer);
    stream.close();
  };
  let endpoint: HttpEndpoint;
  try {
    endpoint = await listenHttp(address, (request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(response, 405);
      if (path === '/events') return stream.connect(response, { event: 'graph', data: snapshot() });
      const file = FILES[path];
      if (!file) return notFound(response, 404);
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type }).end(request.method === 'HEAD' ? undefined : file.body);
    });
  } catch (error) {
    stop();
    throw error;
  }
  return {
    url: endpoint.url,
    close: async () => {
      stop();
      await endpoint.close();
    },
  };
}

function notFound(response: ServerResponse, status: 404 | 405): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(status === 404 ? 'not found\n' : 'method not allowed\n');
}

/** Tells the pages each time the whole graph becomes converged or stops being so. */
async function forwardConverged(engine: LiveViewSource, stream: EventStream, signal: AbortSignal): Promise<void> {
  const watcher = engine.converged.watch();
  try {
    for (;;) stream.broadcast('converged', await watcher.next(signal));
  } catch {
    // Aborted: the view is closing.
  } finally {
    watcher.close();
  }
}
