import { isAbsolute, posix } from 'node:path';
import type { AutoEdgeSearch } from '@converge/engine-api';
import { hostSystemLinks, type SystemLinks } from '@converge/system-paths';
import { programsOf } from './command-line.js';
import type { ExecParams } from './params.js';

/** Each command the exec may run, with the folder it runs in (its own cwd param, else `cwd`). */
function commandsOf(params: Readonly<ExecParams>): Array<{ readonly programs: readonly string[]; readonly folder: string | undefined }> {
  const folder = (own: string | undefined): string | undefined => own || params.cwd || undefined;
  const commands = [{ programs: params.args && params.args.length > 0 && !params.shell ? [params.cmd] : programsOf(params.cmd, params.shell), folder: folder(undefined) }];
  if (params.ifcmd) commands.push({ programs: programsOf(params.ifcmd, params.ifshell), folder: folder(params.ifcwd) });
  if (params.nifcmd) commands.push({ programs: programsOf(params.nifcmd, params.nifshell), folder: folder(params.nifcwd) });
  if (params.watchcmd) commands.push({ programs: programsOf(params.watchcmd, params.watchshell), folder: folder(params.watchcwd) });
  if (params.donecmd) commands.push({ programs: programsOf(params.donecmd, params.doneshell), folder: folder(params.donecwd) });
  return commands;
}

/** `program` (`./x`, `../bin/x`) run in `folder`: read from the folder the command is really in, as the kernel reads it. */
function fromFolder(folder: string, program: string, links: SystemLinks): string {
  return links.systemPath(posix.resolve(links.systemPath(folder, false), program), false);
}

/**
 * The programs an exec runs (cmd or its shell, and those of ifcmd, nifcmd,
 * watchcmd and donecmd) given as absolute paths, or as paths relative to
 * the folder the command runs in (`./deploy.sh` with `cwd: /srv/app`): a
 * managed `file` with that path must be in place before this exec runs. A
 * bare name (`make`) is found in PATH, not in the folder: not one of them.
 * Each is given as a file resource is known (`SystemLinks.systemPath`): `/bin/x` and
 * `//usr/bin/x` are `/usr/bin/x` on a merged-/usr system. `links` are the
 * host's, but for tests.
 */
export function programPaths(params: Readonly<ExecParams>, links: SystemLinks = hostSystemLinks): string[] {
  const paths: string[] = [];
  for (const { programs, folder } of commandsOf(params)) {
    for (const program of programs) {
      if (isAbsolute(program)) paths.push(links.systemPath(program, false));
      else if (program.includes('/') && folder !== undefined && isAbsolute(folder)) paths.push(fromFolder(folder, program, links));
    }
  }
  return [...new Set(paths)];
}

/** The folders the exec's commands run in, as a managed directory is known (`/srv/app/`, `/lib/app` as `/usr/lib/app/`). */
export function folderPaths(params: Readonly<ExecParams>, links: SystemLinks = hostSystemLinks): string[] {
  const folders = commandsOf(params).flatMap(({ folder }) => (folder !== undefined && isAbsolute(folder) ? [links.systemPath(folder, true)] : []));
  return [...new Set(folders)];
}

/** One batch: an edge from each managed file that is one of our programs, and from each managed folder a command runs in. */
export function* execAutoEdges(params: Readonly<ExecParams>, links: SystemLinks = hostSystemLinks): AutoEdgeSearch {
  const keys = [...programPaths(params, links), ...folderPaths(params, links)];
  if (keys.length > 0) yield keys.map((key) => ({ kind: 'file', key }));
}
