import type Docker from 'dockerode';
import { normalizeImageRef } from './image-ref.js';
import type { ContainerParams } from './params.js';
import { hostBinding, sameHostIp } from './port-key.js';

type Protocol = 'tcp' | 'udp' | 'sctp';
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

/** `env` as KEY=value entries, whichever form the graph used. */
export function envEntries(env: ContainerParams['env']): string[] {
  if (env === undefined) return [];
  if (Array.isArray(env)) return [...env];
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

/** The value of a KEY=value entry; empty for a bare KEY. */
export function envValue(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? '' : entry.slice(equals + 1);
}

function envByKey(entries: readonly string[]): Map<string, string> {
  return new Map(entries.map((entry) => [envKey(entry), entry]));
}

/**
 * How two environments differ, by variable name only: values are often
 * secrets (tokens, passwords), and this text goes to logs and errors.
 * `onlyOurs`: compare only the variables the params set (the image, and so
 * its own variables, is unknown).
 */
function envDifference(actual: readonly string[], wanted: readonly string[], onlyOurs: boolean): string | undefined {
  const have = envByKey(actual);
  const want = envByKey(wanted);
  const missing = [...want.keys()].filter((key) => !have.has(key));
  const changed = [...want.keys()].filter((key) => have.has(key) && have.get(key) !== want.get(key));
  const extra = onlyOurs ? [] : [...have.keys()].filter((key) => !want.has(key));
  const parts = [
    missing.length > 0 ? `lacks ${missing.join(', ')}` : '',
    changed.length > 0 ? `has another value for ${changed.join(', ')}` : '',
    extra.length > 0 ? `also sets ${extra.join(', ')}` : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? undefined : `env ${parts.join(', ')} (values not shown)`;
}

/** The environment a container gets: the image's, overridden by ours key by key (as the engine does). */
function mergedEnv(imageEnv: readonly string[], ours: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const entry of [...imageEnv, ...ours]) byKey.set(envKey(entry), entry);
  return [...byKey.values()].sort();
}

/** Every binding as `HOSTPORT->CONTAINERPORT/proto`, sorted: one form for params and for what the engine reports. */
function wantedBindings(ports: ContainerParams['ports']): string[] {
  const bindings: string[] = [];
  for (const protocol of PROTOCOLS) {
    for (const [hostPort, containerPort] of Object.entries(ports?.[protocol] ?? {})) {
      const host = hostBinding(hostPort);
      // 0.0.0.0 and :: are every address, as a port alone: the same binding on both sides.
      if (host) bindings.push(`${bindingHost(sameHostIp(host.ip), host.port)}->${containerPort}/${protocol}`);
    }
  }
  return bindings.sort();
}

function actualBindings(portBindings: unknown): string[] {
  const bindings: string[] = [];
  const entries = Object.entries((portBindings ?? {}) as Record<string, readonly { HostIp?: string; HostPort?: string }[] | null>);
  for (const [containerPort, hosts] of entries) {
    for (const host of hosts ?? []) bindings.push(`${bindingHost(sameHostIp(host.HostIp), Number(host.HostPort ?? 0))}->${containerPort}`);
  }
  return bindings.sort();
}

/** What POST /containers/create gets for these params. */
export function createOptions(name: string, params: Readonly<ContainerParams>): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const protocol of PROTOCOLS) {
    for (const [hostPort, containerPort] of Object.entries(params.ports?.[protocol] ?? {})) {
      const host = hostBinding(hostPort);
      if (!host) continue; // refused at load
      const key = `${containerPort}/${protocol}`;
      exposed[key] = {};
      (portBindings[key] ??= []).push({ HostIp: host.ip, HostPort: String(host.port) });
    }
  }
  return {
    name,
    Image: params.image,
    ...(hasCmd(params) ? { Cmd: [...(params.cmd ?? [])] } : {}),
    Env: envEntries(params.env),
    ExposedPorts: exposed,
    HostConfig: { PortBindings: portBindings },
  };
}

const quote = (value: unknown): string => JSON.stringify(value);

/** A binding's host side as the differences name it: `8080`, `127.0.0.1:8080`, `[::1]:8080`. */
function bindingHost(ip: string, port: number): string {
  return ip === '' ? String(port) : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `cmd` given and not empty: `cmd: []` means the image's own command, as when it is left out (mgmt reads it so). */
function hasCmd(params: Readonly<ContainerParams>): boolean {
  return params.cmd !== undefined && params.cmd.length > 0;
}
const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * How an existing container differs from its params, one phrase per
 * difference; empty when it matches. With the image inspected, the image is
 * compared by id (a re-tagged image counts as a change), the command against
 * the image's default when `cmd` is left out, and the environment exactly;
 * without it (image gone), by name, only a given `cmd`, and only the
 * variables we set.
 */
export function containerDifferences(
  actual: Docker.ContainerInspectInfo,
  params: Readonly<ContainerParams>,
  image: Docker.ImageInspectInfo | undefined,
): string[] {
  const differences: string[] = [];
  if (image ? actual.Image !== image.Id : normalizeImageRef(actual.Config.Image) !== normalizeImageRef(params.image)) {
    const wantedId = image ? ` (${shortId(image.Id)})` : '';
    differences.push(`image is ${actual.Config.Image} (${shortId(actual.Image)}), wanted ${params.image}${wantedId}`);
  }

  const wantedCmd = hasCmd(params) ? params.cmd : (image?.Config.Cmd ?? undefined);
  const actualCmd = actual.Config.Cmd ?? [];
  if (wantedCmd && quote(actualCmd) !== quote(wantedCmd)) {
    differences.push(`cmd is ${quote(actualCmd)}, wanted ${quote(wantedCmd)}`);
  }

  const ours = envEntries(params.env);
  const actualEnv = actual.Config.Env ?? [];
  const env = image ? envDifference(actualEnv, mergedEnv(image.Config.Env ?? [], ours), false) : envDifference(actualEnv, ours, true);
  if (env) differences.push(env);

  const hasPorts = actualBindings(actual.HostConfig.PortBindings);
  const wantsPorts = wantedBindings(params.ports);
  if (quote(hasPorts) !== quote(wantsPorts)) {
    differences.push(`ports are ${quote(hasPorts)}, wanted ${quote(wantsPorts)}`);
  }
  return differences;
}
