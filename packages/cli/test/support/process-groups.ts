import { readdirSync, readFileSync } from 'node:fs';

/**
 * The running (not zombie) members of process group `pgid`, read from /proc.
 * `kill(-pgid, 0)` would count zombies: killed orphans re-parented to an
 * init that does not reap them still exist, though nothing of them runs.
 */
export function liveMembersOf(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it ended while we looked
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** SIGKILL to a process group, if it still exists (test cleanup). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
