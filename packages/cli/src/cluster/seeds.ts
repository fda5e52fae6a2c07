import { InvalidArgumentError } from 'commander';

/** `http://HOST:80`, written out (IPv6 hosts in brackets). */
const EXPLICIT_PORT_80 = /^http:\/\/(?:\[[^\]]*\]|[^/?#:@]*):80(?:[/?#]|$)/i;

/**
 * `--seeds URL[,URL...]`: etcd client URLs (http://HOST:PORT), each given
 * back as `http://HOST:PORT`. Anything the etcd client would not read as
 * a member's address is refused here, as a usage error: a path, a query
 * or a fragment made gRPC fail to parse the address (exit 1, at the first
 * call), a missing port made it dial 443, and https:// would need
 * certificates no flag can give.
 */
export function parseSeeds(value: string): string[] {
  const seeds = value.split(',').map((seed) => seed.trim()).filter((seed) => seed !== '');
  if (seeds.length === 0) throw new InvalidArgumentError('expected etcd client URLs, e.g. http://127.0.0.1:2379[,...]');
  return seeds.map((seed) => {
    let url: URL;
    try {
      url = new URL(seed);
    } catch {
      throw new InvalidArgumentError(`'${seed}' is not a URL; expected e.g. http://127.0.0.1:2379`);
    }
    if (url.protocol === 'https:') {
      throw new InvalidArgumentError(
        `'${seed}': TLS is not supported (converge has no flags for etcd's certificates); give the member's http:// client URL, e.g. http://127.0.0.1:2379 (on a trusted network, or through a tunnel such as ssh -L)`,
      );
    }
    if (url.protocol !== 'http:') throw new InvalidArgumentError(`'${seed}': expected an http:// etcd client URL, e.g. http://127.0.0.1:2379`);
    if (url.username !== '' || url.password !== '') {
      throw new InvalidArgumentError(`'${seed}': a user name or password in the URL is not supported (converge does not log in to etcd); give http://HOST:PORT`);
    }
    // URL drops a port that is the scheme's default (:80), and the etcd
    // client dials 443 for a URL with none (QA: http://HOST tried :443).
    const port = url.port !== '' ? url.port : EXPLICIT_PORT_80.test(seed) ? '80' : undefined;
    if (port === undefined) {
      throw new InvalidArgumentError(`'${seed}': give the member's client port, e.g. ${url.protocol}//${url.host}:2379 (etcd's default client port)`);
    }
    const extra = [url.pathname === '/' ? '' : 'a path', url.search === '' ? '' : 'a query', url.hash === '' ? '' : 'a fragment'].filter((part) => part !== '');
    if (extra.length > 0) {
      throw new InvalidArgumentError(`'${seed}': an etcd client URL is http://HOST:PORT, without ${extra.join(' or ')}; e.g. ${url.origin}`);
    }
    return `${url.protocol}//${url.hostname}:${port}`;
  });
}
