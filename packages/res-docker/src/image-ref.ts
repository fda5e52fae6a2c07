/**
 * An image reference with its tag made explicit (`busybox` → `busybox:latest`),
 * so that `docker:image` and `docker:container` resources that name one image
 * differently still meet for autoedges. A `:` before the last `/` belongs to
 * a registry host and port, not a tag.
 */
export function normalizeImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? ref : `${ref}:latest`;
}
