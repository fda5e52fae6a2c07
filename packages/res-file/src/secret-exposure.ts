import type { GraphValidationIssue, KindResource } from '@converge/engine-api';
import { parseMode, resolveMode } from './mode.js';
import { wantedKind, type FileParams } from './params.js';

/** Read bits for group and others. */
const OTHERS_READ = 0o044;
const GROUP_READ = 0o040;
const WORLD_READ = 0o004;

/** What any mode may hold before a symbolic mode is applied: a class it does not assign is left as it is, readable perhaps. */
const ANY_CURRENT_MODE = 0o7777;

const PRIVATE_MODE_HINT = 'set mode: "0600" (or another mode without read for group and others), so that only the owner can read it';

/**
 * A secret (a password) sent into the content of a file that others may
 * read: without `mode`, a new file gets 0666 less the umask (0644 under the
 * usual 022) and an existing one keeps its mode; a mode with read for group
 * or others gives it to them. The engine masks a secret in every line it
 * writes; written where every user reads it, that would be for nothing.
 * mgmt writes such a file alike, so it is a warning, not a refusal: told at
 * the edge that sends the secret (mode unset) or at the mode.
 */
export function exposedSecrets(resources: readonly KindResource<FileParams>[]): GraphValidationIssue[] {
  const issues: GraphValidationIssue[] = [];
  resources.forEach(({ params, receivesSecrets }, resource) => {
    if (!receivesSecrets?.includes('content') || params.state === 'absent' || wantedKind(params) !== 'file') return;
    if (params.mode === undefined) {
      issues.push({
        resource,
        param: 'content',
        severity: 'warning',
        message: 'receives a secret, and with no mode the file is readable by every user (a new file gets 0666 less the umask, 0644 under the usual 022; an existing one keeps its mode)',
        hint: PRIVATE_MODE_HINT,
      });
      return;
    }
    const mode = parseMode(params.mode);
    // A mode that does not parse is validate's to refuse.
    if (typeof mode === 'string') return;
    // What the mode sets whatever the file had, and what a class it does not assign may keep (QA: `g=r` was told "may leave read for group").
    const granted = resolveMode(mode, 0) & OTHERS_READ;
    const left = resolveMode(mode, ANY_CURRENT_MODE) & OTHERS_READ & ~granted;
    if (granted === 0 && left === 0) return;
    const told = [
      ...(granted === 0 ? [] : [`grants read to ${readers(granted)}`]),
      ...(left === 0 ? [] : [`may leave read for ${readers(left)} (a class it does not assign keeps its bits)`]),
    ];
    issues.push({
      resource,
      param: 'mode',
      severity: 'warning',
      message: `${told.join(' and ')}, and the file receives a secret in its content: they can read it`,
      hint: PRIVATE_MODE_HINT,
    });
  });
  return issues;
}

/** `group`, `others` or `group and others`, by the read bits given. */
function readers(bits: number): string {
  const who = [...(bits & GROUP_READ ? ['group'] : []), ...(bits & WORLD_READ ? ['others'] : [])];
  return who.join(' and ');
}
