/**
 * The exit codes of `converge`, stable for scripts and CI:
 * - 0: the run ended and no resource failed;
 * - 1: a resource failed (or a forced stop cut work short, an exception
 *   that nothing caught stopped the run, or a `--converged-exit` run was
 *   stopped before the graph converged, or `validate` or `graph` was
 *   stopped by a signal before its graph had loaded);
 * - 2: bad input or usage (a graph that does not load, an unknown flag):
 *   nothing was applied.
 */
export const ExitCode = {
  ok: 0,
  resourceFailed: 1,
  badInput: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
