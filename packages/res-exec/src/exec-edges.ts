import { isAbsolute } from 'node:path';
import type { AutoEdgeSearch } from '@converge/engine-api';
import { programsOf } from './command-line.js';
import type { ExecParams } from './params.js';

/**
 * The programs an exec runs (cmd or its shell, and those of ifcmd, nifcmd,
 * watchcmd and donecmd), when given as absolute paths: a managed `file` with
 * that path must be in place before this exec runs.
 */
export function programPaths(params: Readonly<ExecParams>): string[] {
  const programs = [
    ...(params.args && params.args.length > 0 && !params.shell ? [params.cmd] : programsOf(params.cmd, params.shell)),
    ...(params.ifcmd ? programsOf(params.ifcmd, params.ifshell) : []),
    ...(params.nifcmd ? programsOf(params.nifcmd, params.nifshell) : []),
    ...(params.watchcmd ? programsOf(params.watchcmd, params.watchshell) : []),
    ...(params.donecmd ? programsOf(params.donecmd, params.doneshell) : []),
  ];
  return [...new Set(programs.filter((path) => isAbsolute(path)))];
}

/** One batch: an edge from each managed file that is one of our programs. */
export function* execAutoEdges(params: Readonly<ExecParams>): AutoEdgeSearch {
  const paths = programPaths(params);
  if (paths.length > 0) yield paths.map((key) => ({ kind: 'file', key }));
}
