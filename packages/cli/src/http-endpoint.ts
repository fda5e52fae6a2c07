import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpUrl, isLoopback, type ListenAddress } from './listen-address.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** A small HTTP server of the command (web view, metrics), listening. */
export interface HttpEndpoint {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  /** Stops listening and ends open connections (event streams included). */
  close(): Promise<void>;
}

/**
 * Listens on `address` and serves `handler`. On a loopback address, requests
 * naming another host are refused: a web page elsewhere could otherwise point
 * a DNS name at 127.0.0.1 and read the view through the user's browser.
 * Rejects when the address cannot be bound (in use, not local, no permission).
 */
export async function listenHttp(address: ListenAddress, handler: RequestHandler): Promise<HttpEndpoint> {
  const server = createServer((request, response) => {
    if (address.loopback && !isLoopback(hostOf(request))) {
      response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('this endpoint answers only to a loopback host name\n');
      return;
    }
    Promise.resolve(handler(request, response)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: httpUrl(address.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The host name of the Host header, without its port ('' when absent). */
function hostOf(request: IncomingMessage): string {
  const header = request.headers.host ?? '';
  return /^(\[[^\]]*\]|[^:]*)/.exec(header)?.[1] ?? '';
}
