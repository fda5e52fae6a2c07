import { hasContentSync, kindOfMode, lstatStatsSync, SYNC_READ_MAX_BYTES } from './fs-state.js';
import { hasNoLeftoverTemps } from './leftover-temps.js';
import { isDirOnLocalFs } from './local-fs.js';
import { resolveMode } from './mode.js';
import type { ModeSpec } from './mode.js';
import type { FileParams } from './params.js';
import { wantedKind } from './params.js';
import { resolvesToItselfSync } from './symlink-guard.js';

/** What the quick check needs besides the params, prepared once per param value by the instance. */
export interface QuickCheckInput {
  /** The path without a trailing slash. */
  readonly path: string;
  /** Its folder and its name in it. */
  readonly folder: string;
  readonly name: string;
  /** `content` as bytes, when the param is set. */
  readonly content: Buffer | undefined;
  /** The parsed `mode`, when set (and valid). */
  readonly mode: ModeSpec | undefined;
}

/** A numeric owner or group as an id; undefined when unset; NaN for a name (which needs a lookup). */
function numericId(value: string | number | undefined): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

/**
 * The answer most checks give: everything is already as wanted. Found here
 * with synchronous calls only (a local file system, see local-fs), so an
 * idempotent check costs one lstat, a small read and no promise. True only
 * when that is certain; false means "look properly" (the full check, which
 * also explains every refusal), never "out of sync". It asks what the full
 * check asks, in the same order of concern: the symlink guard, leftover
 * temp files to sweep, the kind, the content, the owner and the mode.
 * Copies, fragments, symlinks, purge and owner names always take the full
 * check.
 */
export function certainlyInSync(params: Readonly<FileParams>, input: QuickCheckInput, apply: boolean): boolean {
  if (params.symlink || params.source !== undefined || params.fragments !== undefined || params.purge) return false;
  const { path, folder, content } = input;
  if (content !== undefined && content.length > SYNC_READ_MAX_BYTES) return false;
  const uid = numericId(params.owner);
  const gid = numericId(params.group);
  if (Number.isNaN(uid) || Number.isNaN(gid)) return false;
  if (!isDirOnLocalFs(folder)) return false;
  try {
    if (!params.force && !resolvesToItselfSync(folder)) return false;
    const want = wantedKind(params);
    if (apply && want !== 'dir' && !hasNoLeftoverTemps(folder, input.name)) return false;
    // The Stats as Node gives them, not an Entry made of them: this runs for every check.
    const stats = lstatStatsSync(path);
    if (params.state === 'absent') return stats === undefined;
    // Without `state`, a missing path is left missing.
    if (stats === undefined) return params.state !== 'exists';
    const statMode = stats.mode;
    if (kindOfMode(statMode) !== want) return false;
    if (want === 'file' && content !== undefined) {
      if (stats.size !== content.length || !hasContentSync(path, content)) return false;
    }
    if ((uid !== undefined && uid !== stats.uid) || (gid !== undefined && gid !== stats.gid)) return false;
    const mode = statMode & 0o7777;
    return input.mode === undefined || resolveMode(input.mode, mode) === mode;
  } catch {
    // Whatever went wrong, the full check meets it again and reports it.
    return false;
  }
}
