import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings every converge process runs with, set by the command
 * before the rest of it is loaded (bin.ts).
 *
 * V8 starts its optimizing compiler on a function once that function has
 * run some 66 KB of bytecode (V8 11's interrupt budget). That threshold is
 * made for pages that run for minutes. A converge process either does its
 * work in well under a second (validate, a one-shot run, deploy) or sits
 * mostly idle between events (run). Loading a graph of a thousand resources
 * runs the YAML reader, the module loader and the graph checks past that
 * threshold, and their compilation then runs on a background thread while
 * the checks run on the main one. On a two-core machine the two compete:
 * measured with bench/files-once.mjs (BENCHMARKS.md), the idempotent check
 * of 1,000 files took 56 ms at the default and 43 ms at four times it, and
 * scattered far less from run to run; a whole `converge run
 * --converged-exit` of them, 923 ms against 789 ms. At 10,000 files the
 * default compiles the checks' own code sooner, and it ends within a few
 * percent either way.
 */
export const CONVERGE_V8_FLAGS: readonly string[] = ['--interrupt-budget=270336'];

/** Applies CONVERGE_V8_FLAGS to this process: first thing, before the code they are for is loaded. */
export function tuneV8Tiering(): void {
  for (const flag of CONVERGE_V8_FLAGS) setFlagsFromString(flag);
}
