import type { ValidationIssue } from '@converge/engine-api';
import { distance } from 'fastest-levenshtein';
import { isNamedState, stateOf } from './params.js';
import { NAMED_STATES } from './params.js';
import type { NamedState, PkgParams } from './params.js';

// Debian package names: lower case, digits, + - . (at least two characters),
// optionally qualified by an architecture (`libc6:i386`).
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;
// A version as dpkg writes it: [epoch:]upstream[-revision], starting with a digit.
const VERSION = /^(\d+:)?\d[A-Za-z0-9.+~:-]*$/;

// States other tools use for ours: told which one is meant rather than asked for a version.
// A Map, not an object: a state such as "constructor" must find nothing.
const MEANT_STATE: ReadonlyMap<string, NamedState> = new Map([
  ['latest', 'newest'],
  ['present', 'installed'],
  ['absent', 'uninstalled'],
  ['removed', 'uninstalled'],
  ['purged', 'uninstalled'],
  ['remove', 'uninstalled'],
  ['install', 'installed'],
  ['uninstall', 'uninstalled'],
  ['upgrade', 'newest'],
  ['update', 'newest'],
]);

/**
 * The state a misspelling (`instaled`, `newset`, `lastest`) most likely
 * meant: the nearest of our states and the names above, two edits at most.
 * A word that is not near any of them is taken to be a wrong version.
 */
function nearestState(word: string): NamedState | undefined {
  let best: { state: NamedState; edits: number } | undefined;
  const candidates: [string, NamedState][] = [...NAMED_STATES.map((state): [string, NamedState] => [state, state]), ...MEANT_STATE];
  for (const [name, state] of candidates) {
    const edits = distance(word, name);
    if (edits <= 2 && (best === undefined || edits < best.edits)) best = { state, edits };
  }
  return best?.state;
}

/** Checks what the schema cannot: the package name and the state. Pure. */
export function validatePkg(p: Readonly<PkgParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!PACKAGE_NAME.test(p.package)) {
    const lower = p.package.toLowerCase();
    const hint = PACKAGE_NAME.test(lower)
      ? `Debian package names are lower case: ${lower}`
      : 'Debian package names are lower case letters, digits and + - . (an architecture may follow: libc6:i386); the resource name is the package unless package is set';
    issues.push({ param: 'package', message: `"${p.package}" is not a valid package name`, hint });
  }
  const state = stateOf(p);
  // Written with capitals (`Present`, `Installed`), it is still the state meant.
  const lower = state.toLowerCase();
  const meant = MEANT_STATE.get(lower) ?? (lower !== state && isNamedState(lower) ? lower : undefined);
  const misspelt = isNamedState(state) || VERSION.test(state) ? undefined : nearestState(lower);
  if (meant !== undefined || misspelt !== undefined) {
    issues.push({ param: 'state', message: `state "${state}" is not known`, hint: `did you mean ${meant ?? misspelt}?` });
  } else if (!isNamedState(state) && !VERSION.test(state)) {
    issues.push({
      param: 'state',
      message: `state "${state}" is neither installed, uninstalled, newest nor a version`,
      hint: 'write a version as dpkg shows it, e.g. 2.10-3',
    });
  }
  if (p.allowdowngrade && isNamedState(state)) {
    issues.push({ param: 'allowdowngrade', message: 'allowdowngrade only applies when state is an exact version' });
  }
  return issues;
}
