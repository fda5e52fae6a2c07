/**
 * Kinds are lower-case words joined by `-`, `_` or `:` (`file`,
 * `docker:container`). Checking this before a kind becomes part of a package
 * name keeps a graph from steering the loader to arbitrary paths
 * (`../../x`).
 */
const KIND_PATTERN = /^[a-z][a-z0-9_-]*(?::[a-z][a-z0-9_-]*)*$/;

export function isValidKindName(kind: string): boolean {
  return KIND_PATTERN.test(kind);
}

/**
 * The package that provides a kind by convention: the part before the first
 * `:` names it (`file` -> `@converge/res-file`, `docker:container` ->
 * `@converge/res-docker`).
 */
export function conventionalPackageName(kind: string): string {
  const family = kind.split(':', 1)[0] ?? kind;
  return `${CONVENTIONAL_PACKAGE_PREFIX}${family}`;
}

export const CONVENTIONAL_SCOPE = '@converge';
export const CONVENTIONAL_PACKAGE_PREFIX = `${CONVENTIONAL_SCOPE}/res-`;
