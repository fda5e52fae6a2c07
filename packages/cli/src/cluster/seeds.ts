import { InvalidArgumentError } from 'commander';

/** `--seeds URL[,URL...]`: etcd client URLs (http://HOST:PORT). */
export function parseSeeds(value: string): string[] {
  const seeds = value.split(',').map((seed) => seed.trim()).filter((seed) => seed !== '');
  if (seeds.length === 0) throw new InvalidArgumentError('expected etcd client URLs, e.g. http://127.0.0.1:2379[,...]');
  for (const seed of seeds) {
    let url: URL;
    try {
      url = new URL(seed);
    } catch {
      throw new InvalidArgumentError(`'${seed}' is not a URL; expected e.g. http://127.0.0.1:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`'${seed}': expected an http:// or https:// etcd client URL`);
    }
  }
  return seeds;
}
