import { engineKey } from './connection.js';

/** Docker Hub's registry, as Docker names it in a fully qualified reference. */
const DEFAULT_REGISTRY = 'docker.io';
/** Other names Docker takes for Docker Hub. */
const DEFAULT_REGISTRY_ALIASES: ReadonlySet<string> = new Set(['index.docker.io', 'registry-1.docker.io']);

/**
 * An image reference fully qualified as Docker reads it: the registry made
 * explicit (`docker.io`), Docker Hub's `library/` for a one-part name, and
 * the tag `latest` when neither a tag nor a digest is given. So `busybox`,
 * `library/busybox:latest` and `docker.io/library/busybox` are one image,
 * for autoedges and for two resources that name it. The first part is a
 * registry only when it holds a `.` or a `:` or is `localhost`, as Docker
 * decides; a `:` before the last `/` belongs to that registry's port, not
 * a tag.
 */
export function normalizeImageRef(ref: string): string {
  const at = ref.indexOf('@');
  const named = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? '' : ref.slice(at);
  const slash = named.indexOf('/');
  const first = slash < 0 ? '' : named.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let registry = hasRegistry ? first : DEFAULT_REGISTRY;
  let path = hasRegistry ? named.slice(slash + 1) : named;
  if (DEFAULT_REGISTRY_ALIASES.has(registry)) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  const lastPart = path.slice(path.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') || digest !== '' ? '' : ':latest';
  return `${registry}/${path}${tag}${digest}`;
}

/** An image on one engine: what a `docker:image` is, and what a container on that engine needs first. */
export function imageOnEngine(ref: string, host: string | undefined): string {
  return `${normalizeImageRef(ref)} on ${engineKey(host)}`;
}
