import { InvalidArgumentError } from 'commander';
import { parseListenAddress, type ListenAddress } from './listen-address.js';

/**
 * `--prometheus` in both of its spellings. converge's takes the address as
 * its value (`--prometheus 9100`, `--prometheus 127.0.0.1:9100`); mgmt's is
 * a switch (`--prometheus`, `--prometheus=true`), listening where
 * `--prometheus-listen ADDRESS` says, or at mgmt's default address.
 */

/** mgmt's default (its prometheus package): the port registered for mgmt, on loopback. */
export const MGMT_PROMETHEUS_ADDRESS = '127.0.0.1:9233';

/**
 * Go's words for a switch written with a value. `1` and `0` are not among
 * them here, as for other switches: for --prometheus they are ports (`0`
 * picks a free one), which converge's form took first.
 */
const SWITCH_WORDS = new Map<string, boolean>([
  ['true', true],
  ['t', true],
  ['false', false],
  ['f', false],
]);

/** Commander's parser for --prometheus's value: a switch word, or an address (a bad one is a usage error). */
export function parsePrometheusValue(value: string): ListenAddress | boolean {
  const on = SWITCH_WORDS.get(value.toLowerCase());
  if (on !== undefined) return on;
  try {
    return parseListenAddress(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message} Alone, or as --prometheus=true or =false, it is mgmt's switch.`);
  }
}

/** A word that is meant as an address (a bad one is then told as such), not a graph file: a port, or with a `:` and no `/`. */
function addressShaped(word: string): boolean {
  return /^\d+$/.test(word) || (word.includes(':') && !word.includes('/') && !/\.ya?ml$/i.test(word));
}

/**
 * `argv` with each bare `--prometheus` whose next word is not shaped as an
 * address written as `--prometheus=true`. The option takes an optional
 * value, and commander takes the word after such an option as its value
 * whenever that word does not start with `-`, without a way to look at it
 * first: `--prometheus graph.yaml` read the graph as an address (QA). Here
 * that word is left to be what it is. Everything after `--` is left as it is.
 */
export function withBarePrometheus(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, index) => {
    if (arg !== '--prometheus' || (end >= 0 && index > end)) return arg;
    const next = argv[index + 1];
    return next !== undefined && (end < 0 || index + 1 < end) && addressShaped(next) ? arg : '--prometheus=true';
  });
}

/** Where metrics are served (undefined: not served), from --prometheus and mgmt's --prometheus-listen; or the usage problem. */
export function prometheusAddress(
  prometheus: ListenAddress | boolean | undefined,
  listen: ListenAddress | undefined,
): { readonly address: ListenAddress | undefined } | { readonly problem: string } {
  if (listen === undefined) return { address: prometheus === true ? parseListenAddress(MGMT_PROMETHEUS_ADDRESS) : prometheus || undefined };
  if (prometheus === undefined) {
    return { problem: "--prometheus-listen says where mgmt's --prometheus switch listens: add --prometheus (or give the address to it: --prometheus HOST:PORT)" };
  }
  if (typeof prometheus === 'object') {
    return { problem: '--prometheus HOST:PORT and --prometheus-listen both give an address: give one (--prometheus HOST:PORT, or --prometheus --prometheus-listen HOST:PORT)' };
  }
  // --prometheus=false: off, as in mgmt, wherever it would have listened.
  return { address: prometheus ? listen : undefined };
}
