import type { ValidationIssue } from '@converge/engine-api';
import { isNamedState, stateOf } from './params.js';
import type { PkgParams } from './params.js';

// Debian package names: lower case, digits, + - . (at least two characters),
// optionally qualified by an architecture (`libc6:i386`).
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;
// A version as dpkg writes it: [epoch:]upstream[-revision], starting with a digit.
const VERSION = /^(\d+:)?\d[A-Za-z0-9.+~:-]*$/;

/** Checks what the schema cannot: the package name and the state. Pure. */
export function validatePkg(p: Readonly<PkgParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!PACKAGE_NAME.test(p.package)) {
    issues.push({ param: 'package', message: `"${p.package}" is not a valid package name` });
  }
  const state = stateOf(p);
  if (state === 'latest') {
    issues.push({ param: 'state', message: 'state "latest" is not known', hint: 'did you mean newest?' });
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
