import { listenHttp, type HttpEndpoint } from '../http-endpoint.js';
import type { ListenAddress } from '../listen-address.js';
import { EngineMetrics, type MetricsSource } from './engine-metrics.js';

/**
 * `--prometheus ADDRESS`: serves the engine's metrics at `/metrics` for a
 * Prometheus server to scrape. Closing it stops listening and stops counting.
 */
export async function serveMetrics(engine: MetricsSource, address: ListenAddress): Promise<HttpEndpoint> {
  const metrics = new EngineMetrics(engine);
  let endpoint: HttpEndpoint;
  try {
    endpoint = await listenHttp(address, async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
        return;
      }
      const { contentType, body } = await metrics.scrape();
      response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body);
    });
  } catch (error) {
    metrics.close();
    throw error;
  }
  return {
    url: `${endpoint.url}/metrics`,
    close: async () => {
      await endpoint.close();
      metrics.close();
    },
  };
}
