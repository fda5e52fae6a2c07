import { readlink } from 'node:fs/promises';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { copiedFileMode, desiredFileContent, largeSourceFile } from './desired-content.js';
import { sameBytesInChunks } from './large-files.js';
import { syncDir } from './dir-sync.js';
import { kindName, lstatEntry, readNoFollow } from './fs-state.js';
import type { Entry } from './fs-state.js';
import { resolveGid, resolveUid } from './ids.js';
import type { ManagedRelation } from './managed-paths.js';
import { formatMode, parseMode, resolveMode } from './mode.js';
import { wantedKind } from './params.js';
import type { FileParams, WantedKind } from './params.js';
import { fsPath, shownPath } from './paths.js';

/** Larger contents are summarised by size: a diff that long helps nobody read a dry run. */
const MAX_DIFF_BYTES = 256 * 1024;

/** Where the mode of something not there yet starts (as checkApply creates it). */
const NEW_FILE_MODE = 0o644;
const NEW_DIR_MODE = 0o755;

export interface DescribeOptions {
  readonly signal: AbortSignal;
  /** How an entry relates to what other resources manage: a copy or purge leaves those entries (see dir-sync). */
  readonly managedElsewhere: (path: string) => ManagedRelation | undefined;
  /** Inputs (source, fragments) that another resource of the run writes first, missing now or about to change: told, not read. */
  readonly missingInputs?: readonly string[];
  /** Params an edge fills: in a dry run they hold a placeholder or an earlier value (perhaps a secret), never shown. */
  readonly received?: ReadonlySet<string>;
  /** Those of `received` that hold the value the real run would receive (its sender sent it in this dry run). */
  readonly known?: ReadonlySet<string>;
}

/** Received params this description can leave out and still tell the rest; any other received param hides it all. */
const DESCRIBED_WITHOUT: ReadonlySet<string> = new Set(['content', 'source', 'fragments', 'owner', 'group', 'mode']);
const CONTENT_PARAMS = ['content', 'source', 'fragments'] as const;

function notShown(params: readonly string[]): string {
  return `(not shown: ${params.join(', ')} received from another resource)`;
}

/**
 * What checkApply(apply=true) would change at the resource's path, for a dry
 * run: a unified diff of the content, owner, group and mode changes, creation
 * and removal, and the first difference of a directory sync. Reads only.
 * Undefined when nothing would change.
 */
export async function describeFileChange(params: Readonly<FileParams>, options: DescribeOptions): Promise<string | undefined> {
  const received = [...(options.received ?? [])];
  if (received.some((param) => !DESCRIBED_WITHOUT.has(param)) || (params.symlink && received.length > 0)) return notShown(received);
  const path = fsPath(params.path);
  const entry = await lstatEntry(path);
  if (params.state === 'absent') {
    if (entry === undefined) return undefined;
    const contents = entry.kind === 'dir' && params.recurse ? ' and everything in it' : '';
    return `remove ${kindName(entry.kind)} ${shownPath(path)}${contents}`;
  }
  // Without `state`, a missing path is left missing.
  if (entry === undefined && params.state !== 'exists') return undefined;

  const want = wantedKind(params);
  const present = entry?.kind === want ? entry : undefined;
  const lines: string[] = [];
  if (entry !== undefined && present === undefined) lines.push(`replace ${kindName(entry.kind)} ${shownPath(path)} with a ${kindName(want)}`);
  else if (entry === undefined && want !== 'symlink') lines.push(`create ${kindName(want)} ${shownPath(path)}`);

  const receivedContent = CONTENT_PARAMS.filter((param) => options.received?.has(param));
  if (want === 'symlink') lines.push(...(await symlinkChange(path, params.source ?? '', present)));
  else if (receivedContent.length > 0) lines.push(...(await receivedContentChange(path, params, present, receivedContent, options.known)));
  else if (want === 'dir') lines.push(...(await directoryChange(path, params, present, options)));
  else if (options.missingInputs !== undefined && options.missingInputs.length > 0) {
    lines.push(`content from ${options.missingInputs.map(shownPath).join(', ')}, which another resource of this run writes first (not known in a dry run)`);
  } else lines.push(...(await contentChange(path, params, present, options.received?.has('mode') ?? false)));
  options.signal.throwIfAborted();
  const receivedIds = (['owner', 'group'] as const).filter((param) => options.received?.has(param));
  lines.push(...(await ownerChanges(params, present, options.signal, receivedIds)));
  if (receivedIds.length > 0) lines.push(notShown(receivedIds));
  if (options.received?.has('mode')) lines.push(notShown(['mode']));
  // Without a mode of its own, a copy takes its received source's mode: not known in a dry run either.
  else if (params.mode !== undefined || receivedContent.length === 0) lines.push(...(await modeChange(params, want, present)));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

async function symlinkChange(path: string, target: string, present: Entry | undefined): Promise<string[]> {
  if (present === undefined) return [`symlink ${shownPath(path)} -> ${shownPath(target)}`];
  const current = await readlink(path);
  return current === target ? [] : [`symlink ${shownPath(path)} -> ${shownPath(target)} (now -> ${shownPath(current)})`];
}

/**
 * Received content is never shown. Whether it differs is told when the dry
 * run holds the value the real run would write (a saved password sent as it
 * is kept) into a file that is there: nothing when it is the same, as for
 * literal content, so a drifted mode is not told as a content change too.
 */
async function receivedContentChange(
  path: string,
  params: Readonly<FileParams>,
  present: Entry | undefined,
  received: readonly string[],
  known: ReadonlySet<string> | undefined,
): Promise<string[]> {
  // A received source or fragments names other files: what they hold is not known in a dry run.
  if (present === undefined || received.some((param) => param !== 'content' || !known?.has(param))) return [notShown(received)];
  const wanted = await desiredFileContent(params);
  if (wanted === undefined || (await readNoFollow(path)).equals(wanted)) return [];
  return ['content differs (not shown: received from another resource)'];
}

async function directoryChange(path: string, params: Readonly<FileParams>, present: Entry | undefined, options: DescribeOptions): Promise<string[]> {
  if (params.source === undefined && !params.purge) return [];
  if (present === undefined) return params.source === undefined ? [] : [`copy the contents of ${shownPath(params.source)} into it`];
  const differences: string[] = [];
  // Without apply, the sync stops at the first difference: enough to say that it differs, and where.
  await syncDir(params.source, path, {
    apply: false,
    recurse: params.recurse ?? false,
    purge: params.purge ?? false,
    force: params.force ?? false,
    // Without apply nothing is changed: no link is gone through to change anything.
    links: 'declared',
    signal: options.signal,
    skipped: () => undefined,
    managedElsewhere: options.managedElsewhere,
    onChange: (what) => differences.push(what),
    refuseConversion: (at, from, to) => new Error(`${at} is a ${kindName(from)}, but a ${kindName(to)} is wanted`),
  });
  const first = differences[0];
  return first === undefined ? [] : [`directory ${shownPath(path)} differs (first difference: ${first})`];
}

async function contentChange(path: string, params: Readonly<FileParams>, present: Entry | undefined, modeReceived: boolean): Promise<string[]> {
  const large = await largeSourceFile(params);
  if (large !== undefined) {
    if (present !== undefined && present.size === large.size && (await sameBytesInChunks(large.path, path))) return [];
    return [bySize('large', present?.size, large.size, `, a copy of ${shownPath(large.path)}`)];
  }
  const wanted = await desiredFileContent(params);
  if (wanted === undefined) return [];
  const current = present === undefined ? undefined : await readNoFollow(path);
  if (current?.equals(wanted)) return [];
  const before = current ?? Buffer.alloc(0);
  if (present !== undefined && (present.mode & 0o004) === 0) {
    // A file others may not read can hold a secret (a password written by an earlier run): what is in it is not printed.
    return [notShownBySize('the file is not readable by others', current?.length, wanted.length)];
  }
  if (modeReceived) {
    // Whether others may read it depends on a mode not known in a dry run.
    return [notShownBySize('its mode is received from another resource', current?.length, wanted.length)];
  }
  if (!(await readableByOthersOnceWritten(params, present))) {
    // Nor what it is to hold when it will not be readable by others (`mode: "0600"`, a copy of a 0600 source): that is a secret too.
    return [notShownBySize('the file will not be readable by others', current?.length, wanted.length)];
  }
  if (isBinary(before) || isBinary(wanted) || Math.max(before.length, wanted.length) > MAX_DIFF_BYTES) {
    return [bySize('binary or large', current?.length, wanted.length)];
  }
  const patch = createTwoFilesPatch(
    current === undefined ? '/dev/null' : shownPath(path),
    shownPath(path),
    before.toString('utf8'),
    wanted.toString('utf8'),
    current === undefined ? undefined : 'current',
    'wanted',
    { headerOptions: FILE_HEADERS_ONLY },
  );
  // Only the newline ends: a carriage return on the last line is a difference to show (QA: `+b` hid `b\r`).
  return [patch.replace(/\n+$/, '')];
}

/**
 * Content told by its size only (`what` it is: large, binary): how the
 * sizes differ, or, for a file to be created (`now` undefined), the size it
 * gets: a file that is not there has no "0 bytes now".
 */
function bySize(what: string, now: number | undefined, wanted: number, more = ''): string {
  return now === undefined ? `content: ${wanted} bytes (${what}${more})` : `content differs (${what}: ${now} bytes now, ${wanted} bytes wanted${more})`;
}

/** As bySize, for content not shown, and `why`. */
function notShownBySize(why: string, now: number | undefined, wanted: number): string {
  return now === undefined ? `content: ${wanted} bytes (not shown: ${why})` : `content differs (not shown: ${why}; ${now} bytes now, ${wanted} bytes wanted)`;
}

/** Whether the file will be readable by others once written: its `mode`, applied to its source's mode (a copy), its mode now, or a new file's. */
async function readableByOthersOnceWritten(params: Readonly<FileParams>, present: Entry | undefined): Promise<boolean> {
  const base = (await copiedFileMode(params)) ?? present?.mode ?? newFileMode();
  const spec = params.mode === undefined ? undefined : parseMode(params.mode);
  const mode = spec === undefined || typeof spec === 'string' ? base : resolveMode(spec, base);
  return (mode & 0o004) !== 0;
}

/** The mode a new file without `mode` gets: 0666 less the process umask (077 makes it private). */
function newFileMode(): number {
  // umask() with no argument reads it (setting it to itself would race other threads).
  return 0o666 & ~process.umask();
}

function isBinary(content: Buffer): boolean {
  return content.includes(0);
}

async function ownerChanges(params: Readonly<FileParams>, present: Entry | undefined, signal: AbortSignal, received: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  const checks = [
    { what: 'owner', wanted: params.owner, current: present?.uid, resolve: resolveUid, missing: 'no such user yet' },
    { what: 'group', wanted: params.group, current: present?.gid, resolve: resolveGid, missing: 'no such group yet' },
  ] as const;
  for (const { what, wanted, current, resolve, missing } of checks) {
    if (wanted === undefined || received.includes(what)) continue;
    const id = await resolve(wanted, signal);
    if (id !== undefined && id === current) continue;
    const target = id === undefined ? `${wanted} (${missing})` : String(wanted) === String(id) ? String(id) : `${wanted} (${id})`;
    lines.push(current === undefined ? `${what} ${target}` : `${what} ${current} -> ${target}`);
  }
  return lines;
}

async function modeChange(params: Readonly<FileParams>, want: WantedKind, present: Entry | undefined): Promise<string[]> {
  if (want === 'symlink') return [];
  if (params.mode === undefined) {
    // A copied file follows its source's permission bits (see ensureMode).
    const copied = await copiedFileMode(params);
    return copied === undefined || present === undefined || present.kind !== 'file' || present.mode === copied ? [] : [`mode ${formatMode(present.mode)} -> ${formatMode(copied)}`];
  }
  const spec = parseMode(params.mode);
  if (typeof spec === 'string') return [];
  if (present !== undefined) {
    const wanted = resolveMode(spec, present.mode);
    return wanted === present.mode ? [] : [`mode ${formatMode(present.mode)} -> ${formatMode(wanted)}`];
  }
  // A copied file starts with its source's mode, as checkApply does.
  const source = want === 'file' && params.source !== undefined ? await lstatEntry(params.source) : undefined;
  const base = source?.mode ?? (want === 'dir' ? NEW_DIR_MODE : NEW_FILE_MODE);
  return [`mode ${formatMode(resolveMode(spec, base))}`];
}
