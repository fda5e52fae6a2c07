import { errnoCode } from './errors.js';

/**
 * What a failed watch means and how to fix it, when the cause is a kernel
 * limit on inotify: ENOSPC from inotify_add_watch is the per-user watch limit
 * (not a full disk), EMFILE from inotify_init the per-user instance limit or
 * the open-file limit. Undefined for any other failure.
 */
export function watchLimitProblem(error: unknown): { message: string; hint: string } | undefined {
  const code = errnoCode(error);
  if (code === 'ENOSPC') {
    return {
      message: 'the system limit on inotify watches is reached (ENOSPC: no disk is full)',
      hint:
        'raise it: sysctl fs.inotify.max_user_watches=524288 (make it permanent in /etc/sysctl.d/), ' +
        'or watch fewer paths',
    };
  }
  if (code === 'EMFILE') {
    return {
      message: 'too many inotify instances or open files (EMFILE)',
      hint:
        'raise sysctl fs.inotify.max_user_instances (e.g. to 512) or the open-file limit (ulimit -n), ' +
        'or stop other programs that watch files',
    };
  }
  return undefined;
}
