import type { SourceLocation } from '@converge/engine-api';
import type { ResourceSpec } from './spec.js';

/** Where a value inside a param (`segments`: the param, then keys and list indexes) is written: its own location, else the nearest entry's or param's around it, else the resource's. */
export function paramPathLocation(resource: ResourceSpec, segments: readonly string[]): SourceLocation {
  for (let depth = segments.length; depth > 0; depth--) {
    const location = resource.paramLocations.get(segments.slice(0, depth).join('/'));
    if (location) return location;
  }
  return resource.location;
}

/**
 * Where inside a param a problem is, as the graph's reader counts it: a
 * mapping's key by its name (`param 'env' at PORT`), a list's entry by its
 * place counted from 1, as one counts the `- ` lines of a YAML list and as
 * the kinds' own messages count them (`network 1's mac`): `param 'args'
 * entry 2`, `param 'mounts' entry 1's opts` (QA: `param 'network' at 0` said
 * of the first entry, beside `network 1's mac` of the same one).
 *
 * `params` are the values the segments walk through: a segment is an entry
 * only where the value there is a list, so a mapping's key `0` stays a key.
 */
export function describeParamPath(params: Readonly<Record<string, unknown>>, segments: readonly string[]): string {
  const [param, ...inside] = segments;
  let text = `param '${param ?? ''}'`;
  let value: unknown = param === undefined ? undefined : params[param];
  let after: 'param' | 'entry' | 'key' = 'param';
  for (const segment of inside) {
    const isEntry = Array.isArray(value) || (value === undefined && /^(0|[1-9][0-9]*)$/.test(segment));
    if (isEntry) {
      text += ` entry ${Number(segment) + 1}`;
      after = 'entry';
    } else {
      text += after === 'param' ? ` at ${segment}` : after === 'entry' ? `'s ${segment}` : `.${segment}`;
      after = 'key';
    }
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return text;
}
