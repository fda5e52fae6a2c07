import type { ServerResponse } from 'node:http';

/** A comment line this often keeps idle connections open through proxies. */
const HEARTBEAT_MS = 15_000;
/** How soon a browser reconnects after losing the stream. */
const RETRY_MS = 1_000;

/**
 * Server-Sent Events to every connected page: named events with JSON data.
 * A page that connects gets its first event from `opening` (the full state),
 * then every broadcast.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor() {
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
  }

  /** Takes over `response` as an event stream and sends it `opening` first. */
  connect(response: ServerResponse, opening: { event: string; data: unknown }): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    response.write(frame(opening.event, opening.data));
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  broadcast(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = frame(event, data);
    for (const client of this.#clients) client.write(text);
  }

  /** Ends every stream; pages will try to reconnect and find the server gone. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}

/** One event; JSON has no raw newlines, so the data fits one `data:` line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
