import { isIP } from 'node:net';

/** A host side of a port binding: the address to listen on ('' for every one) and the port. */
export interface HostBinding {
  readonly ip: string;
  readonly port: number;
}

/** `8080`, `127.0.0.1:8080` or `[::1]:8080`, as the keys of `ports` are written. */
export const HOST_PORT_KEY = '^(?:(?:[0-9]{1,3}\\.){3}[0-9]{1,3}:|\\[[0-9A-Fa-f:.]+\\]:)?[0-9]+$';

/**
 * The host side a key of `ports` names: a port alone listens on every
 * address, as Docker's `-p 8080:80`; with an address first, only there
 * (`127.0.0.1:8080`, `[::1]:8080`), as `-p 127.0.0.1:8080:80`. Undefined
 * when the address or the port is not one.
 */
export function hostBinding(key: string): HostBinding | undefined {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?([0-9]+)$/.exec(key);
  if (!match) return undefined;
  const ip = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (!(port >= 1 && port <= 65535)) return undefined;
  if (ip !== '' && isIP(ip) !== (match[1] === undefined ? 4 : 6)) return undefined;
  return { ip, port };
}

/** How Docker reports an address bound to every interface. */
export function sameHostIp(ip: string | undefined): string {
  return ip === undefined || ip === '0.0.0.0' || ip === '::' ? '' : ip;
}
