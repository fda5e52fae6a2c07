import { homedir } from 'node:os';
import { join } from 'node:path';
// The subpath, not the engine's index: flags are parsed before anything else is loaded.
import { LONGEST_WAIT_MS } from '@converge/engine/longest-wait';
import { InvalidArgumentError } from 'commander';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The longest wait a Node timer keeps, in whole seconds. */
const LONGEST_WAIT_S = Math.floor(LONGEST_WAIT_MS / 1000);

/** `--converger-timeout N`: seconds, -1 for never, 0 for at once. */
export function parseConvergerTimeout(value: string): number {
  const seconds = Number(value);
  // The converged timer is a Node timer: a wait longer than 2^31 - 1 ms fires at once.
  if (value.trim() === '' || !Number.isFinite(seconds) || (seconds < 0 && seconds !== -1) || seconds > LONGEST_WAIT_S) {
    throw new InvalidArgumentError(`expected seconds: a number from 0 to ${LONGEST_WAIT_S} (24.8 days), or -1 for never.`);
  }
  return seconds;
}

/** `--max-runtime N` (mgmt's flag): seconds, 0 for no limit. */
export function parseMaxRuntime(value: string): number {
  const seconds = Number(value);
  // A Node timer: a wait longer than 2^31 - 1 ms fires at once.
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > LONGEST_WAIT_S) {
    throw new InvalidArgumentError(`expected seconds: a number from 0 (no limit) to ${LONGEST_WAIT_S} (24.8 days).`);
  }
  return seconds;
}

/** `--prefix DIR`: not empty (an unset variable in `--prefix "$DIR"` would make it the current folder). */
export function parsePrefix(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a folder: the state directory path is empty.');
  return value;
}

/** A host name as DNS spells one (letters, digits, `-`, `.`; `_` too), up to 253 characters. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

/**
 * `--hostname NAME`: it becomes part of the cluster's etcd keys
 * (`status/NAME`, `exports/NAME/...`), where an empty name or a `/` would
 * make another key's path (QA: `web/1` was listed as a host `web` below).
 */
export function parseHostname(value: string): string {
  if (!HOST_NAME.test(value)) {
    throw new InvalidArgumentError('expected a host name: letters, digits, "-", "_" and "." (not at either end), at most 253 characters.');
  }
  return value;
}

/** `--sema N`: a whole number >= 0 (0 = no limit). */
export function parseSema(value: string): number {
  const count = Number(value);
  if (value.trim() === '' || !Number.isInteger(count) || count < 0) {
    throw new InvalidArgumentError('expected a whole number >= 0 (0 = no limit).');
  }
  return count;
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/**
 * Where state lives when `--prefix` is not given: the system location for
 * root, the user's XDG state directory otherwise (root-owned /var/lib is not
 * writable by anyone else).
 */
export function defaultStatePrefix(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/converge';
  const stateHome = env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state');
  return join(stateHome, 'converge');
}
