import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';

/** Where an HTTP endpoint of the command (--ui, --prometheus) listens. */
export interface ListenAddress {
  readonly host: string;
  /** 0 = any free port (the one chosen is reported once listening). */
  readonly port: number;
  /** Only this machine can connect: 127.0.0.0/8, ::1 or localhost. */
  readonly loopback: boolean;
}

const DEFAULT_HOST = '127.0.0.1';

/** Go's (and so mgmt's) `:PORT`: every interface. */
const EVERY_INTERFACE = '0.0.0.0';

/**
 * `HOST:PORT`, `[IPv6]:PORT`, a bare `PORT` (which binds to loopback) or, as
 * in mgmt's `--prometheus-listen :45001`, `:PORT` (every interface).
 * Parsed with commander so a bad value is a usage error, exit code 2.
 */
export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:(?:\[(?<v6>[^\]]+)\]|(?<host>[^:[\]]*)):)?(?<port>\d{1,5})$/.exec(value.trim());
  const port = Number(match?.groups?.['port']);
  if (!match || port > 65535) {
    throw new InvalidArgumentError('expected HOST:PORT (e.g. 127.0.0.1:9090), [::1]:PORT, :PORT (every interface) or PORT (loopback); port 0 picks a free one.');
  }
  const named = match.groups?.['host'];
  const host = match.groups?.['v6'] ?? (named === '' ? EVERY_INTERFACE : named) ?? DEFAULT_HOST;
  if (match.groups?.['v6'] !== undefined && isIP(host) !== 6) throw new InvalidArgumentError(`'${host}' is not an IPv6 address.`);
  return { host, port, loopback: isLoopback(host) };
}

/** True for a name or address only this machine reaches (IPv6 may come in brackets, as in a Host header). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && (bare === '::1' || bare === '0:0:0:0:0:0:0:1');
}

/** `http://HOST:PORT` for messages, with IPv6 hosts in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
