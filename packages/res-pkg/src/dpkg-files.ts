import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { splitArch } from './plan.js';

/** Where dpkg keeps its database; its `status` file changes with every install or removal. */
export const DPKG_DIR = '/var/lib/dpkg';

const DPKG_ARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'armhf',
  ia32: 'i386',
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** dpkg's name for the architecture Node runs on (`amd64`), the one a package name without `:arch` means. */
export function nativeArch(): string | undefined {
  return DPKG_ARCH[process.arch];
}

const PROGRAM_DIRS = new Set(['/usr/bin', '/usr/sbin', '/usr/games', '/bin', '/sbin', '/usr/local/bin']);

/**
 * The paths an installed package owns, from dpkg's file list
 * (`info/<name>.list`, or `<name>:<arch>.list` for multi-arch packages).
 * Read synchronously because autoedges are computed synchronously; empty
 * when the package is not installed or the system has no dpkg.
 */
export function packageFiles(packageName: string, dpkgDir = DPKG_DIR): string[] {
  const { name, arch = nativeArch() } = splitArch(packageName);
  for (const file of [`${name}.list`, `${name}:${arch}.list`]) {
    try {
      return readFileSync(posix.join(dpkgDir, 'info', file), 'utf8')
        .split('\n')
        .filter((path) => path.startsWith('/') && path !== '/.');
    } catch {
      // Not this name form, or not installed: try the next, then give up.
    }
  }
  return [];
}

/**
 * The paths of `files` worth an edge: every leaf (a file: no other path is
 * below it), and the directories named after the package (`/etc/nginx/`),
 * with the trailing slash file resources give directories. Shared
 * directories such as `/usr/` are left out, or every package would come
 * before every managed directory.
 */
export function edgePaths(packageName: string, files: readonly string[]): string[] {
  const { name } = splitArch(packageName);
  const dirs = new Set(files.map((path) => posix.dirname(path)));
  const paths: string[] = [];
  for (const path of files) {
    if (!dirs.has(path)) paths.push(path);
    else if (posix.basename(path) === name) paths.push(`${path}/`);
  }
  return paths;
}

/**
 * The programs a package provides (files in bin and sbin directories). When
 * it is not installed yet, the usual places of a program named like the
 * package, so that an exec of `/usr/bin/hello` runs after `pkg[hello]` from
 * the first run on.
 */
export function programPaths(packageName: string, files: readonly string[]): string[] {
  const programs = files.filter((path) => PROGRAM_DIRS.has(posix.dirname(path)));
  if (files.length > 0) return programs;
  const { name } = splitArch(packageName);
  return [...PROGRAM_DIRS].map((dir) => `${dir}/${name}`);
}
