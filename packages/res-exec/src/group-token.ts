import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The variable every command gets, holding the token of its group's record
 * (see GroupLedger). A group's id is only known once it is spawned; the
 * token is known before, so a command started just before a kill -9 of the
 * engine, whose id was never written down, is still found: by the token in
 * its environment, which its children inherit.
 */
export const GROUP_TOKEN_VAR = 'CONVERGE_GROUP_TOKEN';

/** A new token: random, so it says nothing about the command, its params or its secrets. */
export function newGroupToken(): string {
  return randomBytes(16).toString('hex');
}

/** True when `text` can be a token this module made (a record's file name part). */
export function isGroupToken(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

const NEEDLE = `\0${GROUP_TOKEN_VAR}=`;

/**
 * The token in the environment `pid` was started with (/proc/PID/environ,
 * as its last exec gave it); undefined when it has none, or it cannot be
 * read (gone, another user's process and converge is not root).
 */
export function groupTokenOf(pid: number): string | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  const text = `\0${environ}`;
  const at = text.indexOf(NEEDLE);
  if (at === -1) return undefined;
  const start = at + NEEDLE.length;
  const end = text.indexOf('\0', start);
  return text.slice(start, end === -1 ? undefined : end);
}

/** Every process whose environment holds one of `tokens`, by token (one pass over /proc). */
export function processesCarrying(tokens: ReadonlySet<string>): Map<string, number[]> {
  const found = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const token = groupTokenOf(Number(entry));
    if (token === undefined || !tokens.has(token)) continue;
    found.set(token, [...(found.get(token) ?? []), Number(entry)]);
  }
  return found;
}
