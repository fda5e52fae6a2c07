import { posix } from 'node:path';
import Docker from 'dockerode';

/** Where the Docker engine listens, as given by `host`, DOCKER_HOST or the default socket. */
export type DockerEndpoint =
  | { readonly socketPath: string }
  | { readonly protocol: 'http'; readonly host: string; readonly port: number };

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/**
 * Parses a Docker host in DOCKER_HOST's forms (`unix:///path`,
 * `tcp://host:port`) or a bare absolute socket path. Returns undefined for
 * anything else (TLS endpoints included: they are not supported).
 */
export function parseDockerHost(host: string): DockerEndpoint | undefined {
  if (host.startsWith('/')) return { socketPath: host };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return socketPath.startsWith('/') ? { socketPath } : undefined;
  }
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d{1,5})\/?$/.exec(host);
  if (tcp?.[1] && tcp[2]) return { protocol: 'http', host: tcp[1], port: Number(tcp[2]) };
  return undefined;
}

/** The host a resource talks to: its `host` param, else DOCKER_HOST, else the default socket. */
export function effectiveDockerHost(host: string | undefined): string {
  return host ?? process.env['DOCKER_HOST'] ?? DEFAULT_DOCKER_HOST;
}

/**
 * One engine, however its address is written: `unix:///run/x.sock`,
 * `/run/x.sock` and `/run//x.sock` are the same, and no `host` is
 * DOCKER_HOST or the default socket. For telling two resources that would
 * manage one object apart from two on different engines.
 */
export function engineKey(host: string | undefined): string {
  const effective = effectiveDockerHost(host);
  const endpoint = parseDockerHost(effective);
  if (!endpoint) return effective;
  return 'socketPath' in endpoint ? `unix://${posix.normalize(endpoint.socketPath)}` : `tcp://${endpoint.host.toLowerCase()}:${endpoint.port}`;
}

/** A client for one engine; throws when `host` cannot be parsed (validate catches that earlier for the param). */
export function dockerClient(host: string, apiversion: string | undefined): Docker {
  const endpoint = parseDockerHost(host);
  if (!endpoint) throw new Error(`cannot use Docker host ${JSON.stringify(host)}: expected unix:///path, tcp://host:port or an absolute socket path`);
  return new Docker({ ...endpoint, ...(apiversion ? { version: apiversion } : {}) });
}
