import type { AutoEdgeSearch, ResourceUid } from '@converge/engine-api';
import { systemPath } from '@converge/system-paths';
import { edgePaths, packageFiles, packagePrograms } from './dpkg-files.js';
import { stateOf } from './params.js';
import type { PkgParams } from './params.js';

/** Paths as file resources and execs know them (`/bin/x` is `/usr/bin/x` on a merged-/usr system), once each. */
function fileKeys(paths: readonly string[]): string[] {
  return [...new Set(paths.map((path) => systemPath(path)))];
}

/**
 * A package claims its programs as `file` uids. An exec looks for the
 * managed file of the program it runs (`{kind: 'file', key: '/usr/bin/x'}`)
 * and finds the package that provides it, so `pkg → exec`: the programs in
 * its file list once installed, and in any state the paths named like the
 * package that no other package owns (see `programPaths`). A package that
 * must be uninstalled claims nothing.
 */
export function pkgUids(params: Readonly<PkgParams>): ResourceUid[] {
  if (stateOf(params) === 'uninstalled') return [];
  return fileKeys(packagePrograms(params.package)).map((key) => ({ kind: 'file', key }));
}

/**
 * One batch: every managed `file` the package owns runs after it (reversed
 * candidates: `pkg → file`), so a config file is written over the package's
 * own. Only known once the package is installed (dpkg's file list).
 */
export function* pkgAutoEdges(params: Readonly<PkgParams>): AutoEdgeSearch {
  if (stateOf(params) === 'uninstalled') return;
  const paths = fileKeys(edgePaths(params.package, packageFiles(params.package)));
  if (paths.length > 0) yield paths.map((key) => ({ kind: 'file', key, reversed: true }));
}
