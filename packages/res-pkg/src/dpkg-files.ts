import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import { DPKG_DIR, dpkgState, filesOnDisk, nativeArch, otherOwners, readFileList } from './dpkg-status.js';
import { splitArch } from './plan.js';

export { DPKG_DIR, nativeArch } from './dpkg-status.js';

const PROGRAM_DIRS = new Set(['/usr/bin', '/usr/sbin', '/usr/games', '/bin', '/sbin', '/usr/local/bin']);
/** A line of a dpkg file list that is a path right in one of PROGRAM_DIRS. */
const PROGRAM_LINE = /^\/(?:usr\/(?:bin|sbin|games|local\/bin)|bin|sbin)\/[^/\n]+$/gm;

/**
 * The paths an installed package owns, from dpkg's file list
 * (`info/<name>.list`, or `<name>:<arch>.list` for multi-arch packages).
 * Read synchronously because autoedges are computed synchronously; empty
 * when the package's files are not on disk (not installed, or removed but
 * not purged: dpkg's state `rc` keeps a list of the config files left
 * behind, which says nothing of its programs) or the system has no dpkg.
 */
export function packageFiles(packageName: string, dpkgDir = DPKG_DIR): string[] {
  if (!filesOnDisk(dpkgState(packageName, dpkgDir))) return [];
  const { name, arch = nativeArch() } = splitArch(packageName);
  return readFileList(dpkgDir, name, arch) ?? [];
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

function isProgramPath(path: string): boolean {
  return PROGRAM_DIRS.has(posix.dirname(path));
}

/**
 * The programs a package provides: the files in bin and sbin folders of its
 * file list (`files`, empty when it is not installed), and the usual places
 * of a program named like the package (`/usr/bin/hello`, `/usr/games/sl`)
 * that no other package owns (`ownedElsewhere`). Those are claimed whether
 * it is installed or not, so that an exec of `/usr/bin/hello` runs after
 * `pkg[hello]` from the first run on, and still does once it is installed
 * when the program is not in its list: an alternatives link (`/usr/bin/figlet`
 * → `/etc/alternatives/figlet` → `/usr/bin/figlet-figlet`) belongs to no
 * package, and dropping it then would have the edge come and go.
 */
export function programPaths(packageName: string, files: readonly string[], ownedElsewhere: (path: string) => boolean = () => false): string[] {
  const programs = files.filter(isProgramPath);
  const { name } = splitArch(packageName);
  const byName = [...PROGRAM_DIRS].map((dir) => `${dir}/${name}`).filter((path) => !programs.includes(path) && !ownedElsewhere(path));
  return [...programs, ...byName];
}

/**
 * The programs of a package on this system (see `programPaths`), with
 * dpkg's database telling which paths other packages own. A path that is
 * not there is owned by no installed package: only one that is (an
 * alternatives link, `/bin/x` through a merged `/usr`, another package's
 * program) costs a look at every file list, once per change of dpkg's status.
 */
export function packagePrograms(packageName: string, dpkgDir = DPKG_DIR): string[] {
  const ownedElsewhere = (path: string) => lstatSync(path, { throwIfNoEntry: false }) !== undefined && otherOwners(path, packageName, dpkgDir, PROGRAM_LINE).length > 0;
  return programPaths(packageName, packageFiles(packageName, dpkgDir), ownedElsewhere);
}
