import { Buffer } from 'node:buffer';
import { lchown, mkdir, readlink, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isEngineError } from '@converge/engine-api';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { copyFileAtomic, symlinkAtomic, writeFileAtomic, writeInPlace, type NewFileAttributes } from './atomic-write.js';
import { copiedFileMode, desiredFileContent, largeSourceFile } from './desired-content.js';
import { refuseFragmentRing } from './fragment-ring.js';
import { openInputFile, sameBytesInChunks } from './large-files.js';
import { copyOverlapProblem } from './copy-overlap.js';
import { describeFileChange } from './describe-change.js';
import { syncDir } from './dir-sync.js';
import { errnoCode, fileError, InputError, isMissingPath } from './errors.js';
import type { ErrorSite } from './errors.js';
import { fragmentFoldersOf, linkedInputsOf, linksIn, resolveLinkedInputs, watchPaths, watchTargets } from './file-watch.js';
import { watchLimitProblem } from './watch-limits.js';
import { learnFsType } from './local-fs.js';
import { folderProblem } from './missing-folder.js';
import { sweepLeftoverTemps } from './leftover-temps.js';
import { hasContent, kindName, lstatEntry, readNoFollow, withNoFollowHandle } from './fs-state.js';
import { isOnKernelFs } from './kernel-fs.js';
import type { Entry, EntryKind } from './fs-state.js';
import { resolveGid, resolveUid } from './ids.js';
import { removeCreatedParents } from './created-parents.js';
import { keptInside, removeTreeKeeping } from './remove-keeping.js';
import { absentAncestor, declaredSymlinkTarget, isManagedElsewhere, managedBelow, managedExcept, managerElsewhere, managersInFolder, registerManaged, unregisterManaged } from './managed-paths.js';
import type { ManagedFile, ManagedOwner } from './managed-paths.js';
import { formatMode, parseMode, resolveMode } from './mode.js';
import type { ModeSpec } from './mode.js';
import { wantedKind } from './params.js';
import type { FileParams, RecordedParams, WantedKind } from './params.js';
import { fsPath } from './paths.js';
import { certainlyInSync } from './quick-check.js';
import { ensureRemoved } from './remove-path.js';
import { clearWrongKind } from './replace-kind.js';
import { findUndeclaredParentSymlink, realpathOf } from './symlink-guard.js';
import { managedBelowReal, otherPathsToSameFile, realPathOf, takenOverAbove } from './same-file-through-links.js';
import { withTempNamesHidden } from './temp-names.js';
import { inPinnedFolder, openedWithin, type LinkRule } from './pinned-folder.js';

/** What a change meets when its path became another kind between the look and the change: the check looks again. */
// (ENOTDIR is not among them: a component that is no folder is a missing folder, told as one below.)
const REPLACED_UNDER_US: ReadonlySet<string> = new Set(['EISDIR', 'ENOTEMPTY', 'EEXIST']);

/** How many times a check starts over when the path vanishes under it (someone deleting it again and again). */
const VANISHED_RETRIES = 3;

/**
 * True when the folder that holds `path` exists (so a missing `path` itself
 * is drift, not a missing parent). Through a symlink: a folder that is a
 * declared link (or any, with `force`) is where the write goes; one that
 * may not be followed is refused by the write itself, with its own error.
 */
async function folderExists(path: string): Promise<boolean> {
  return stat(posix.dirname(path)).then(
    (found) => found.isDirectory(),
    () => false,
  );
}

/** How long a check waits for a folder that another resource manages to be put back (see checkApplyFully). */
const FOLDER_COMEBACK_MS = 2_000;

/** True once the folder of `path` is there again, within FOLDER_COMEBACK_MS; false when it is not, or on abort. */
async function folderComesBack(path: string, signal: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + FOLDER_COMEBACK_MS;
  while (performance.now() < deadline && !signal.aborted) {
    if (await folderExists(path)) return true;
    await sleep(20, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

/** Base for a symbolic `mode` on a directory that does not exist yet (what mkdir gives under umask 022). */
const NEW_DIR_MODE = 0o755;

/** The live `file` resource of one graph vertex. */
export class FileInstance implements ResourceInstance<FileParams, object>, ManagedOwner {
  private ctx: ResourceContext<FileParams, object> | undefined;
  /** `content` as bytes, for as long as the param (which send/recv may change) stays the same string. */
  private encoded: { readonly content: string; readonly bytes: Buffer } | undefined;
  /** What a kernel file showed after this resource wrote a value into it (see ensureKernelFile). */
  private kernelForm: { readonly shows: (wanted: Buffer, shown: Buffer) => boolean } | undefined;
  /** `path` normalized and split, for as long as the param stays the same. */
  private splitPath: { readonly param: string; readonly path: string; readonly folder: string; readonly name: string } | undefined;
  /** Entries a copy or purge left alone, already warned about (once each); made on the first. */
  private toldSkipped: Set<string> | undefined;
  /** `mode` parsed, for as long as the param stays the same. */
  private parsedMode: { readonly mode: string | number; readonly spec: ModeSpec | undefined } | undefined;

  /** A graph's params, or a reversal record's (which may name the folders to remove above the path). */
  constructor(private readonly params: Readonly<RecordedParams>) {}

  /** Changes go through declared symlinks only, unless `force` follows any (as guardSymlinks). */
  private get linkRule(): LinkRule {
    return this.params.force ? 'any' : 'declared';
  }

  /** `file[name]`, for errors; the path stands in before init. */
  get resourceId(): string {
    return this.ctx?.id ?? `file[${this.params.path}]`;
  }

  /**
   * An error's `message` about `path`, named first unless the resource's id
   * names it already: `file[/etc/x]: source … does not exist`, not
   * `file[/etc/x]: /etc/x: source …`; `file[webconf]: /etc/web.conf: …`.
   */
  private aboutPath(path: string, message: string): string {
    return fsPath(this.ctx?.name ?? this.params.path) === path ? message : `${path}: ${message}`;
  }

  init(ctx: ResourceContext<FileParams, object>): void {
    this.ctx = ctx;
    const receives = ctx.receives;
    registerManaged(this, this.params.purge === true || receives?.has('purge') === true, this.params.recurse === true || receives?.has('recurse') === true);
    // Known before the first check (which waits for the watch), so it can take the sync path.
    void learnFsType(this.pathParts().folder);
  }

  watch(signal: AbortSignal): Promise<void> {
    const site = this.site('watch');
    return this.watchFollowingLinkedInputs(signal).catch((error: unknown) => {
      const limit = watchLimitProblem(error);
      if (limit) throw fileError(site, `cannot watch ${this.params.path}: ${limit.message}`, limit.hint, error);
      throw fileError(site, `watching ${this.params.path} failed: ${String(error)}`, 'set meta: {rewatch: true} to restart the watch', error);
    });
  }

  /**
   * Watches the targets, and what a symlinked source or fragment points to:
   * a certificate's live/cert.pem is a link into archive/, and a change
   * there changes what is copied without any event at the link. The same
   * for each link in a fragments folder (QA: the joined file went stale).
   * When a link is pointed elsewhere, added or removed, the watch starts
   * again on the new targets.
   */
  private async watchFollowingLinkedInputs(signal: AbortSignal): Promise<void> {
    const named = linkedInputsOf(this.params);
    const folders = fragmentFoldersOf(this.params);
    if (named.length === 0 && folders.length === 0) return watchPaths(watchTargets(this.params), () => this.ctx?.event(), signal);
    const inputsNow = async (): Promise<string[]> => (folders.length === 0 ? named : [...named, ...(await linksIn(folders))]);
    while (!signal.aborted) {
      const inputs = await inputsNow();
      const resolved = await resolveLinkedInputs(inputs);
      const round = new AbortController();
      const stop = (): void => round.abort();
      signal.addEventListener('abort', stop, { once: true });
      const onEvent = (): void => {
        this.ctx?.event();
        // A link pointed elsewhere (or one added to a fragments folder):
        // watch its new target (the check that this event starts reads the
        // new content meanwhile).
        void inputsNow()
          .then(resolveLinkedInputs)
          .then((now) => {
            if (now.join('\0') !== resolved.join('\0')) round.abort();
          });
      };
      // The inputs themselves are watched already: as targets, or as entries of a watched fragments folder.
      const extra = resolved.filter((path) => !inputs.includes(path)).map((path) => ({ path, below: 'nothing' as const }));
      try {
        await watchPaths([...watchTargets(this.params), ...extra], onEvent, round.signal);
      } finally {
        signal.removeEventListener('abort', stop);
      }
    }
  }

  cleanup(): void {
    unregisterManaged(this);
  }

  /** For the other file resources (managed-paths.ts): its params are what it manages. */
  managedFile(): ManagedFile {
    return this.params;
  }

  /** Something below this one is no longer managed: a purge has work. */
  released(): void {
    this.ctx?.event();
  }

  /** Answered at once when the file is certainly in sync (most checks; see quick-check.ts), else by the full check. */
  checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> | boolean {
    const params = this.params;
    const content = params.content === undefined ? undefined : this.contentBytes(params.content);
    const { path, folder, name } = this.pathParts();
    // A reversal that removes the folders made above the path looks at those too: never answered from the path alone.
    if (params.createdParents === undefined && certainlyInSync(params, { path, folder, name, content, mode: this.modeSpec() }, apply)) return true;
    return this.checkApplyFully(apply, signal);
  }

  private async checkApplyFully(apply: boolean, signal: AbortSignal): Promise<boolean> {
    const site = this.site('checkApply');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.converge(apply, signal, site);
      } catch (error) {
        if (signal.aborted) throw error;
        if (isEngineError(error)) throw error;
        // Removed by someone else between our look and our change (drift while we
        // repair): look again rather than fail; its folder is still there.
        const missing = isMissingPath(error);
        const folderThere = missing && (await folderExists(fsPath(this.params.path)));
        if (attempt < VANISHED_RETRIES && folderThere) continue;
        // Replaced by another kind in that moment (a folder made where the file was
        // being renamed to): the next look sees it, and says what to do about it.
        if (attempt < VANISHED_RETRIES && REPLACED_UNDER_US.has(errnoCode(error) ?? '')) continue;
        const path = fsPath(this.params.path);
        // Its folder went with a folder above it (rm -rf of a parent while
        // running), and another resource manages it: that one is putting it
        // back at this moment, so wait for it rather than fail.
        if (missing && attempt < VANISHED_RETRIES && isManagedElsewhere(posix.dirname(path), this) && (await folderComesBack(path, signal))) continue;
        if (missing && !folderThere) {
          // Named by its folder, not by the temp file the write failed on (a new name at each try).
          const problem = await folderProblem(path);
          throw fileError(site, this.aboutPath(path, problem.message), problem.hint ?? missingFolderHint(path) ?? hintFor(error, wantedKind(this.params)), error, problem.missing);
        }
        const message = withTempNamesHidden(error instanceof Error ? error.message : String(error));
        throw fileError(site, this.aboutPath(path, message), error instanceof InputError ? error.hint : hintFor(error, wantedKind(this.params)), error);
      }
    }
  }

  /** Dry run: what checkApply(apply=true) would change, as a diff and a summary. */
  async describeChange(signal: AbortSignal, received?: ReadonlySet<string>, known?: ReadonlySet<string>): Promise<string | undefined> {
    const missingInputs = await this.inputsNotKnownYet();
    return describeFileChange(this.params, { signal, managedElsewhere: managedBelow(this.params.path, this), missingInputs, received, known });
  }

  /** Dry run with params an edge fills: what is known is told, the received values are not. */
  describeReceivingChange(signal: AbortSignal, received: ReadonlySet<string>, known?: ReadonlySet<string>): Promise<string | undefined> {
    return this.describeChange(signal, received, known);
  }

  private site(phase: ErrorSite['phase']): ErrorSite {
    return { resource: this.resourceId, phase };
  }

  private log(message: string): void {
    this.ctx?.log.info(message, { path: fsPath(this.params.path) });
  }

  private async converge(apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    const params = this.params;
    const path = fsPath(params.path);
    const want = wantedKind(params);
    const entry = await lstatEntry(path);
    await this.guardSymlinks(path, entry, want, site);
    if (await isOnKernelFs(posix.dirname(path))) return this.ensureKernelFile(path, entry, apply, signal, site);
    // After the guard: the folder is listed (and litter removed) only where writes may go.
    const sweeping = apply && want !== 'dir' ? sweepLeftoverTemps(path) : undefined;
    if (sweeping) await sweeping;
    if (params.state === 'absent') {
      const absent = await this.ensureAbsent(path, entry, apply, site);
      if (params.createdParents === undefined || (!absent && !apply)) return absent;
      return (await this.removeCreatedParents(params.createdParents, apply)) && absent;
    }
    // Without `state`, a missing path is left missing and nothing else applies.
    if (entry === undefined && params.state !== 'exists') return true;

    let inSync: boolean;
    if (want === 'symlink') inSync = await this.ensureSymlink(path, entry, apply, signal, site);
    else if (want === 'dir') inSync = await this.ensureDir(path, entry, apply, signal, site);
    else inSync = await this.ensureFile(path, entry, apply, signal, site);
    signal.throwIfAborted();
    if (!inSync && !apply) return false;

    // Nothing was changed above: the first lstat still describes the path,
    // so owner and mode are checked against it instead of two more lstats.
    const known = inSync ? entry : undefined;
    const owned = await this.ensureOwner(path, apply, signal, site, known);
    const moded = await this.ensureMode(path, apply, owned ? known : undefined);
    return inSync && owned && moded;
  }

  /**
   * Through a declared symlink in its folders, this path may be a file that
   * another resource manages under its real path: two resources would
   * rewrite it in turn for ever. Refused, naming both.
   */
  private async refuseSameFileElsewhere(path: string, site: ErrorSite): Promise<void> {
    // A received path escapes the load's check that no two resources manage one path.
    if (this.ctx?.receives?.has('path') && isManagedElsewhere(path, this)) {
      throw fileError(site, `${path}, the path it received, is managed by another file resource too`, 'manage each path with one resource only');
    }
    const folder = posix.dirname(path);
    // The symlink guard just resolved the same folder: this one is answered from its memo.
    // A folder not made yet leads where its nearest existing one does.
    const realFolder = await realPathOf(folder);
    if (realFolder === folder) return;
    const real = posix.join(realFolder, posix.basename(path));
    if (isManagedElsewhere(real, this)) {
      throw fileError(
        site,
        `${path} is ${real} (through a symlink in its folders), which another file resource manages`,
        'manage the file under one path only',
      );
    }
    // Another resource may reach the same file through links of its own (QA: l1/f and l2/f, both links to real/).
    const [other] = await otherPathsToSameFile(path, realFolder);
    if (other !== undefined) {
      throw fileError(
        site,
        `${path} and ${other} are both ${real} (through symlinks in their folders), which another file resource manages as ${other}`,
        'manage the file under one path only',
      );
    }
    const taker = await takenOverAbove(real, path, this);
    if (taker !== undefined) {
      const what = taker.how === 'purges' ? 'purges of what it does not know' : 'copies a source folder into (recurse)';
      throw fileError(site, `${path} is ${real} (through a symlink in its folders), inside ${taker.path}, which another file resource ${what}`, `manage it as ${real}, so that the ${taker.how === 'purges' ? 'purge' : 'copy'} leaves it`);
    }
    // This one copying or purging through a link: a resource that manages something inside under its real path would be undone (QA).
    const params = this.params;
    const takesOver = params.purge === true || (params.recurse === true && params.source !== undefined && !params.symlink);
    const inside = takesOver ? await managedBelowReal(real, path, this) : undefined;
    if (inside !== undefined) {
      throw fileError(
        site,
        `${path} is ${real} (through a symlink in its folders), and another file resource manages ${inside} inside it, which this one would ${params.purge ? 'purge' : 'copy over'}`,
        `manage it as ${real}/, so that it leaves what others manage inside`,
      );
    }
  }

  /** Refuses to act through a symlink the graph does not declare (see README: symlink policy). */
  private async guardSymlinks(path: string, entry: Entry | undefined, want: EntryKind, site: ErrorSite): Promise<void> {
    // `force` follows any link, so a file reached through one may be another resource's even more often.
    if (this.params.force) return this.refuseSameFileElsewhere(path, site);
    const refused = await findUndeclaredParentSymlink(path, declaredSymlinkTarget);
    if (refused?.declared !== undefined) {
      const now = refused.pointsTo === undefined ? 'changed as it was read' : `points to ${refused.pointsTo}`;
      throw fileError(
        site,
        `${refused.link}, a parent of ${path}, is a symlink that ${now}, not to ${refused.declared} as its file resource declares; refusing to follow it`,
        `its resource puts the link back (give this one meta: {retry: N, delay: MS} to wait for that), or set force: true to follow it wherever it points`,
      );
    }
    if (refused !== undefined) {
      throw fileError(
        site,
        `${refused.link}, a parent of ${path}, is a symlink that no file resource declares; refusing to follow it`,
        `manage ${refused.link} with symlink: true, use the real path, or set force: true to follow it`,
      );
    }
    await this.refuseSameFileElsewhere(path, site);
    if (entry?.kind === 'symlink' && want !== 'symlink') {
      const removing = this.params.state === 'absent';
      throw fileError(
        site,
        `${path} is a symlink, but this resource manages a ${want === 'dir' ? 'directory' : 'file'}; refusing to follow or ${removing ? 'remove' : 'replace'} it`,
        removing ? 'set force: true to remove the symlink (its target is left alone), or symlink: true to manage the link itself' : 'set force: true to replace the symlink, or symlink: true to manage the link itself',
      );
    }
  }

  /** The refusal for an entry of a copied directory that is the wrong kind. */
  private refuseConversion(site: ErrorSite) {
    return (path: string, from: EntryKind, to: EntryKind): Error =>
      from === 'other'
        ? fileError(site, `${path} is a special file (device, FIFO or socket), but a ${kindName(to)} is wanted; it is never replaced`, 'remove it by hand')
        : fileError(site, `${path} is a ${kindName(from)}, but a ${kindName(to)} is wanted`, 'set force: true to replace it');
  }

  /** Removes what is in the way of the wanted kind (see replace-kind.ts), returning whether it did. */
  private clearWrongKind(path: string, entry: Entry | undefined, want: EntryKind, apply: boolean, site: ErrorSite): Promise<boolean> {
    const { force = false, recurse = false } = this.params;
    return clearWrongKind(path, entry, want, { force, recurse, apply, site, log: (message) => this.log(message) });
  }

  private ensureAbsent(path: string, entry: Entry | undefined, apply: boolean, site: ErrorSite): Promise<boolean> {
    const { symlink = false, force = false, recurse = false } = this.params;
    const namesDir = this.params.path.endsWith('/');
    const log = (message: string): void => this.log(message);
    // A reversal removing a tree (a folder a recursive copy filled) leaves
    // what another file resource, running or about to, manages inside it.
    const reversal = this.ctx?.graphPeers !== undefined;
    const kept = reversal && recurse && namesDir && entry?.kind === 'dir' ? keptInside(path, this.othersManaged()) : [];
    if (kept.length > 0) return removeTreeKeeping(path, kept, { apply, links: this.linkRule, log });
    return ensureRemoved(path, entry, { namesDir, symlink, force, recurse, apply, reversal, site, log });
  }

  /** What the other file resources manage: the running ones, and, for a reversal, those of the graph about to run. */
  private othersManaged(): ManagedFile[] {
    return [...managedExcept(this), ...(this.ctx?.graphPeers ?? [])];
  }

  /**
   * A reversal of a directory made with `recurse`: the folders it made above
   * itself go too, while empty, except what another file resource (running,
   * or in the graph about to run) manages or keeps something in.
   */
  private removeCreatedParents(created: readonly string[], apply: boolean): Promise<boolean> {
    return removeCreatedParents(created, { apply, others: this.othersManaged(), links: this.linkRule, log: (message) => this.log(message) });
  }

  private async ensureSymlink(path: string, entry: Entry | undefined, apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    const target = this.params.source ?? '';
    const cleared = await this.clearWrongKind(path, entry, 'symlink', apply, site);
    if (!cleared && entry !== undefined && (await readlink(path)) === target) return true;
    // Told before "symlink" is logged, and in a dry run too: the link cannot be made (QA).
    if (entry === undefined) await this.refuseMissingFolder(path, site);
    if (!apply) return false;
    this.log(`symlink ${path} -> ${target}`);
    await symlinkAtomic(path, target, signal, this.linkRule, cleared || entry === undefined);
    return false;
  }

  private async ensureDir(path: string, entry: Entry | undefined, apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    if (this.params.source !== undefined) {
      // Before anything changes: a source that is not there (or no directory)
      // must not cost what a forced replacement would remove first.
      const source = await stat(this.params.source).catch(() => undefined);
      if (source === undefined) throw fileError(site, `source ${this.params.source} does not exist`, 'create it first, or manage it with a file resource (it is then copied once it is there)');
      if (!source.isDirectory()) throw fileError(site, `source ${this.params.source} is not a directory`, 'copy a directory into a directory (both ending in /), or a file into a file');
      // Validation saw the paths as written, and a symlink can still put one inside the other.
      const overlap = await copyOverlapProblem(this.params.source, path);
      if (overlap !== undefined) throw fileError(site, overlap, 'keep them apart once symlinks are followed: copy from a directory outside the path, into a path outside the source');
    }
    const cleared = await this.clearWrongKind(path, entry, 'dir', apply, site);
    let inSync = !cleared && entry !== undefined;
    if (!inSync) {
      // Told before "mkdir" is logged, and in a dry run too; recurse makes missing parents (QA).
      if (entry === undefined && !this.params.recurse) await this.refuseMissingFolder(path, site);
      if (!apply) return false;
      this.log(`mkdir ${path}`);
      // Created with the wanted mode so it is never more open than asked; umask may strip bits, ensureMode adds them back.
      const spec = this.params.mode === undefined ? undefined : parseMode(this.params.mode);
      const mode = spec === undefined || typeof spec === 'string' ? 0o777 : resolveMode(spec, NEW_DIR_MODE);
      // Missing parents get the default mode, as `mkdir -p -m` gives them:
      // the wanted mode (0700, say) on each of them would shut out what
      // other resources keep in them.
      if (this.params.recurse) await mkdir(posix.dirname(path), { recursive: true });
      // In the folder as opened now: never through a symlink swapped in for it.
      await inPinnedFolder(path, this.linkRule, (pinned) => mkdir(pinned, { mode }));
    }
    if (this.params.source === undefined && !this.params.purge) return inSync;
    const synced = await syncDir(this.params.source, path, {
      apply,
      recurse: this.params.recurse ?? false,
      purge: this.params.purge ?? false,
      force: this.params.force ?? false,
      links: this.params.force ? await openedWithin(path) : 'declared',
      signal,
      managedElsewhere: managedBelow(path, this),
      onChange: (what) => (apply ? this.log(what) : undefined),
      refuseConversion: this.refuseConversion(site),
      skipped: (path, why) => {
        this.toldSkipped ??= new Set();
        if (this.toldSkipped.has(path)) return;
        this.toldSkipped.add(path);
        this.ctx?.log.warn(why);
      },
    });
    inSync &&= synced;
    return inSync;
  }

  private async ensureFile(path: string, entry: Entry | undefined, apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    if (entry?.kind === 'other') {
      throw fileError(site, `${path} is a special file (device, FIFO or socket); it is never replaced`, 'remove it by hand');
    }
    // A dry run cannot read an input that another resource would write first (its source, a fragment): the real run would.
    if (!apply && (await this.inputsNotKnownYet()).length > 0) return false;
    const large = await largeSourceFile(this.params);
    if (large !== undefined) return this.ensureLargeCopy(path, entry, large, apply, signal, site);
    // The content first: a source or fragment that cannot be read fails the
    // check before a forced replacement removes what is at the path.
    const wanted = await this.wantedContent(signal);
    const cleared = await this.clearWrongKind(path, entry, 'file', apply, site);
    const present = cleared ? undefined : entry;
    if (present !== undefined && wanted === undefined) return true;
    // A size that differs already says the content does: no read then.
    const worthReading = present !== undefined && wanted !== undefined && present.size === wanted.length;
    const same = worthReading ? await hasContent(path, wanted) : false;
    return this.replaceUnlessSame(path, present, same, apply, signal, site, (attributes) =>
      writeFileAtomic(path, wanted ?? Buffer.alloc(0), attributes, signal, this.linkRule, present === undefined),
    );
  }

  /**
   * The inputs (`source`, fragments) that another resource of this run
   * writes first and that a dry run cannot read as the real run will: not
   * there yet, or there but about to change (the engine says its writer
   * would change: QA, a copy of a file another resource rewrites was told
   * converged). A dry run then would change.
   */
  private async inputsNotKnownYet(): Promise<string[]> {
    const { source, fragments, symlink, path } = this.params;
    if (path.endsWith('/')) return [];
    const inputs = [...(source !== undefined && !symlink ? [source] : []), ...(fragments ?? [])];
    const unknown: string[] = [];
    for (const input of inputs) {
      const folderWriter = managerElsewhere(input, this);
      // A fragments folder's files come from it whoever writes them (QA: a password written into one was shown as it is on disk, in clear).
      const writers = [...(folderWriter ? [folderWriter] : []), ...(input.endsWith('/') ? managersInFolder(input, this) : [])];
      for (const writer of writers) {
        const written = writer === folderWriter ? input : writer.managedFile().path;
        if (this.ctx?.wouldChangeBefore?.(writer.resourceId) || (await stat(written).catch(() => undefined)) === undefined) unknown.push(written);
      }
    }
    return unknown;
  }

  /** ensureFile for a large `source` file (LARGE_FILE_BYTES): compared and copied a chunk at a time, never held in memory whole. */
  private async ensureLargeCopy(path: string, entry: Entry | undefined, source: { readonly path: string; readonly size: number }, apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    // The source must be readable before a forced replacement removes what is at the path.
    await (await openInputFile(source.path)).close();
    const cleared = await this.clearWrongKind(path, entry, 'file', apply, site);
    const present = cleared ? undefined : entry;
    const same = present !== undefined && present.size === source.size ? await sameBytesInChunks(source.path, path, signal) : false;
    return this.replaceUnlessSame(path, present, same, apply, signal, site, (attributes) =>
      copyFileAtomic(path, source.path, attributes, signal, this.linkRule, present === undefined),
    );
  }

  /**
   * The end of a file's check: done when the content is the same (`same`
   * undefined: the file went while we looked, so it is missing); else, when
   * applying, a new file made by `write` replaces it.
   */
  private async replaceUnlessSame(
    path: string,
    found: Entry | undefined,
    same: boolean | undefined,
    apply: boolean,
    signal: AbortSignal,
    site: ErrorSite,
    write: (attributes: NewFileAttributes) => Promise<void>,
  ): Promise<boolean> {
    const present = same === undefined ? undefined : found;
    if (present !== undefined && same) return true;
    // A missing folder is told before "creating" is logged for a file that cannot be made (QA).
    if (present === undefined) await this.refuseMissingFolder(path, site);
    if (!apply) return false;
    // A new inode replaces the old one: it gets the wanted owner and mode, else the old file's.
    const attributes = await this.newFileAttributes(present, signal, site);
    this.log(present === undefined ? `creating ${path}` : `writing ${path}${attributeChanges(present, attributes)}`);
    // An abort (a forced stop) before the rename leaves the target as it was.
    await write(attributes);
    return false;
  }

  /**
   * A file of the kernel's own file systems (a sysctl under /proc/sys, a
   * setting under /sys): read whole and compared whatever its size says,
   * and written in place, as nothing can be made beside it. It cannot be
   * made or replaced by another kind.
   */
  private async ensureKernelFile(path: string, entry: Entry | undefined, apply: boolean, signal: AbortSignal, site: ErrorSite): Promise<boolean> {
    const params = this.params;
    const refuse = (what: string): never => {
      throw fileError(site, `${path} is on a kernel file system (proc, sysfs…), where ${what}`, 'manage only the content of a file the kernel offers there');
    };
    if (params.state === 'absent') refuse('files cannot be removed');
    if (params.mode !== undefined || params.owner !== undefined || params.group !== undefined) refuse('mode, owner and group are the kernel\'s');
    if (wantedKind(params) !== 'file' || params.source !== undefined || params.fragments !== undefined) refuse('only the content of a file can be set');
    // Without `state`, a missing path is left missing, as everywhere.
    if (entry === undefined && params.state !== 'exists') return true;
    if (entry?.kind !== 'file') refuse(entry === undefined ? 'no new file can be made' : `the ${kindName(entry.kind)} there cannot be replaced`);
    const wanted = await this.wantedContent(signal);
    if (wanted === undefined) return true;
    const shown = await readNoFollow(path);
    if (sameKernelValue(shown, wanted) || this.kernelForm?.shows(wanted, shown)) return true;
    if (!apply) return false;
    this.log(`writing ${path}`);
    await writeInPlace(path, wanted, signal);
    // The kernel may show a value in its own form (a list with the choice
    // in brackets, say): that form counts as the value from now on, or
    // every check would write it again.
    const after = await readNoFollow(path);
    if (!sameKernelValue(after, wanted)) {
      this.kernelForm = { shows: (value, seen) => value.equals(wanted) && seen.equals(after) };
      this.ctx?.log.warn(`the kernel shows ${path} as ${JSON.stringify(after.toString('utf8').trimEnd())} after the write; taken as the value written`);
    }
    return false;
  }

  /**
   * A dry run foretells what the real one meets: a file whose folder is
   * missing, with no resource here to make that folder, cannot be written.
   */
  private async refuseMissingFolder(path: string, site: ErrorSite): Promise<void> {
    const folder = posix.dirname(path);
    // Followed: a symlinked folder is the symlink policy's to judge (checked before).
    if ((await stat(folder).catch(() => undefined))?.isDirectory() || isManagedElsewhere(folder, this)) return;
    const problem = await folderProblem(path);
    throw fileError(site, this.aboutPath(path, problem.message), problem.hint ?? missingFolderHint(path) ?? missingHint(wantedKind(this.params)), undefined, problem.missing);
  }

  /** The bytes wanted at the path. */
  private async wantedContent(signal: AbortSignal): Promise<Buffer | undefined> {
    const { content, fragments } = this.params;
    if (fragments !== undefined) await refuseFragmentRing(fsPath(this.params.path), fragments, this);
    return content === undefined ? desiredFileContent(this.params, signal) : this.contentBytes(content);
  }

  /** A `content` param as bytes, encoded once per value, not on every check. */
  private contentBytes(content: string): Buffer {
    if (this.encoded?.content !== content) this.encoded = { content, bytes: Buffer.from(content, 'utf8') };
    return this.encoded.bytes;
  }

  /** The `path` param normalized, with its folder and name, once per value. */
  private pathParts(): { readonly path: string; readonly folder: string; readonly name: string } {
    const param = this.params.path;
    if (this.splitPath?.param !== param) {
      // Split at the last slash: on a normalized path this is posix.dirname
      // and basename, without their loops over every character.
      const path = fsPath(param);
      const slash = path.lastIndexOf('/');
      const folder = slash > 0 ? path.slice(0, slash) : slash === 0 ? '/' : '.';
      this.splitPath = { param, path, folder, name: path.slice(slash + 1) };
    }
    return this.splitPath;
  }

  /** The `mode` param parsed once per value; undefined when unset (or invalid, which validation reports). */
  private modeSpec(): ModeSpec | undefined {
    const mode = this.params.mode;
    if (mode === undefined) return undefined;
    if (this.parsedMode?.mode !== mode) {
      const spec = parseMode(mode);
      this.parsedMode = { mode, spec: typeof spec === 'string' ? undefined : spec };
    }
    return this.parsedMode.spec;
  }

  private async newFileAttributes(present: Entry | undefined, signal: AbortSignal, site: ErrorSite) {
    const { uid, gid } = await this.wantedIds(signal, site);
    const spec = this.params.mode === undefined ? undefined : parseMode(this.params.mode);
    // A copy takes its source's permission bits, not those of the file it
    // replaces: a 0600 source must not land in a 0644 file.
    const base = (await copiedFileMode(this.params)) ?? present?.mode;
    let mode = base;
    if (spec !== undefined && typeof spec !== 'string') mode = resolveMode(spec, base ?? 0o644);
    return { mode, uid: uid ?? present?.uid, gid: gid ?? present?.gid };
  }

  private async wantedIds(signal: AbortSignal, site: ErrorSite): Promise<{ uid?: number | undefined; gid?: number | undefined }> {
    const { owner, group } = this.params;
    const uid = owner === undefined ? undefined : await resolveUid(owner, signal);
    if (owner !== undefined && uid === undefined) {
      throw fileError(site, `no such user: ${owner}`, 'create the user first (it gets no automatic edge yet), or give a numeric uid');
    }
    const gid = group === undefined ? undefined : await resolveGid(group, signal);
    if (group !== undefined && gid === undefined) {
      throw fileError(site, `no such group: ${group}`, 'create the group first, or give a numeric gid');
    }
    return { uid, gid };
  }

  private async ensureOwner(path: string, apply: boolean, signal: AbortSignal, site: ErrorSite, known?: Entry): Promise<boolean> {
    if (this.params.owner === undefined && this.params.group === undefined) return true;
    const entry = known ?? (await lstatEntry(path));
    if (entry === undefined) return false;
    const { uid, gid } = await this.wantedIds(signal, site);
    if ((uid === undefined || uid === entry.uid) && (gid === undefined || gid === entry.gid)) return true;
    if (!apply) return false;
    this.log(`chown ${uid ?? entry.uid}:${gid ?? entry.gid} ${path} (was ${entry.uid}:${entry.gid})`);
    if (entry.kind === 'symlink') await inPinnedFolder(path, this.linkRule, (pinned) => lchown(pinned, uid ?? entry.uid, gid ?? entry.gid));
    else await inPinnedFolder(path, this.linkRule, (pinned) => withNoFollowHandle(pinned, entry.kind === 'dir', (handle) => handle.chown(uid ?? entry.uid, gid ?? entry.gid)));
    return false;
  }

  /**
   * The mode wanted at the path, from the one it has: the `mode` param, or
   * without it a copy's source's permission bits (kept, and put back);
   * undefined when neither says anything (or the mode is invalid, which
   * validation reports).
   */
  private async modeRule(): Promise<((current: number) => number) | undefined> {
    if (this.params.mode !== undefined) {
      const spec = parseMode(this.params.mode);
      return typeof spec === 'string' ? undefined : (current) => resolveMode(spec, current);
    }
    const copied = await copiedFileMode(this.params);
    return copied === undefined ? undefined : () => copied;
  }

  private async ensureMode(path: string, apply: boolean, known?: Entry): Promise<boolean> {
    const wantedFrom = await this.modeRule();
    if (wantedFrom === undefined) return true;
    const entry = known ?? (await lstatEntry(path));
    // Validation rejects modes on symlinks; a missing path was already reported as diverged.
    if (entry === undefined || entry.kind === 'symlink') return entry !== undefined;
    const wanted = wantedFrom(entry.mode);
    if (wanted === entry.mode) return true;
    if (!apply) return false;
    this.log(`chmod ${formatMode(wanted)} ${path} (was ${formatMode(entry.mode)})`);
    await inPinnedFolder(path, this.linkRule, (pinned) => withNoFollowHandle(pinned, entry.kind === 'dir', (handle) => handle.chmod(wanted)));
    return false;
  }
}

/** When the graph itself keeps a folder of `path` absent, the two resources contradict each other: say so. */
function missingFolderHint(path: string): string | undefined {
  const absent = absentAncestor(path);
  return absent === undefined
    ? undefined
    : `${absent} is managed with state: absent by another resource, which removes what this one needs: drop one of the two`;
}

const MISSING_INPUT_HINT =
  'a parent folder or an input (source, fragment) is missing: manage the folder too, as a file resource whose path ends in / (an automatic edge makes it first; with meta: {autoedge: false}, add that edge yourself), or, when a package installs it, add an edge from that pkg resource to this one';

/** What to do when a parent folder or an input is missing; a directory can make its parents. */
function missingHint(want: WantedKind): string {
  return want === 'dir' ? `${MISSING_INPUT_HINT}, or set recurse: true to make the missing parents of this directory` : MISSING_INPUT_HINT;
}

function hintFor(error: unknown, want: WantedKind): string | undefined {
  switch (errnoCode(error)) {
    case 'ENOENT':
      return missingHint(want);
    case 'EACCES':
    case 'EPERM':
      return 'the engine lacks permission here: run it as a user who may change this path';
    case 'ELOOP':
      return 'a symlink appeared at the path while it was being changed; it was not followed';
    default:
      return undefined;
  }
}

/** The same value of a kernel file: the kernel adds (or drops) a newline at the end as it likes. */
function sameKernelValue(shown: Buffer, wanted: Buffer): boolean {
  return shown.equals(wanted) || shown.toString('utf8').trimEnd() === wanted.toString('utf8').trimEnd();
}

/**
 * What a rewrite changes besides the content, for its log line: the new
 * file gets the wanted owner and mode, which the line would not tell
 * otherwise (QA: `writing` alone, where a dry run said mode and owner too).
 */
function attributeChanges(present: Entry, wanted: NewFileAttributes): string {
  const changes = [
    wanted.mode !== undefined && wanted.mode !== present.mode ? `mode ${formatMode(present.mode)} -> ${formatMode(wanted.mode)}` : '',
    (wanted.uid !== undefined && wanted.uid !== present.uid) || (wanted.gid !== undefined && wanted.gid !== present.gid)
      ? `owner ${present.uid}:${present.gid} -> ${wanted.uid ?? present.uid}:${wanted.gid ?? present.gid}`
      : '',
  ].filter((change) => change !== '');
  return changes.length === 0 ? '' : ` (${changes.join(', ')})`;
}
