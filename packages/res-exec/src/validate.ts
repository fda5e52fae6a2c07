import { isAbsolute } from 'node:path';
import type { ValidationIssue } from '@converge/engine-api';
import { splitFields } from './command-line.js';
import { nameOrIdProblem } from './credentials.js';
import type { ExecParams } from './params.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * mgmt's YAML graphs often spell every param out with `''` for "not set"
 * (`shell: ''`, `ifcmd: ''`): an empty string counts as unset here, as it
 * does when the command runs.
 */
function given(value: unknown): boolean {
  return value !== undefined && value !== '';
}

/** Checks what the schema cannot: conflicting params, paths, names. Pure. */
export function validateExec(p: Readonly<ExecParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (splitFields(p.cmd).length === 0) issues.push({ param: 'cmd', message: 'cmd is blank', hint: 'give the command to run, or leave cmd out to run the name' });
  if (p.args && p.args.length > 0) {
    if (p.shell) issues.push({ param: 'args', message: 'args cannot be used with shell', hint: 'put the arguments in cmd' });
    if (splitFields(p.cmd).length > 1) {
      issues.push({ param: 'args', message: 'args cannot be used when cmd has arguments', hint: 'move them into args' });
    }
  }
  for (const param of ['user', 'group'] as const) {
    const value = p[param];
    const problem = value === undefined || value === '' ? undefined : nameOrIdProblem(value, param);
    if (problem) issues.push({ param, message: problem, hint: `give a ${param} name or a numeric id` });
  }
  for (const name of Object.keys(p.env ?? {})) {
    if (!ENV_NAME.test(name)) issues.push({ param: 'env', at: [name], message: `"${name}" is not a valid environment variable name`, hint: 'use letters, digits and _, not starting with a digit' });
  }
  for (const param of ['cwd', 'ifcwd', 'nifcwd', 'watchcwd', 'donecwd'] as const) {
    const value = p[param];
    // Relative to what? The engine's own folder is wherever it was started from.
    if (value !== undefined && given(value) && !isAbsolute(value)) issues.push({ param, message: `"${value}" is not an absolute path`, hint: 'write it as /full/path' });
  }
  (p.watchfiles ?? []).forEach((path, index) => {
    if (!isAbsolute(path)) issues.push({ param: 'watchfiles', at: [index], message: `"${path}" is not an absolute path`, hint: 'write it as /full/path' });
  });
  if (p.creates !== undefined && given(p.creates) && !isAbsolute(p.creates)) {
    issues.push({ param: 'creates', message: `"${p.creates}" is not an absolute path`, hint: 'write it as /full/path' });
  }
  const companions: [keyof ExecParams, keyof ExecParams][] = [
    ['ifshell', 'ifcmd'],
    ['ifcwd', 'ifcmd'],
    ['ifequals', 'ifcmd'],
    ['ifequals_stdout', 'ifcmd'],
    ['nifshell', 'nifcmd'],
    ['nifcwd', 'nifcmd'],
    ['watchshell', 'watchcmd'],
    ['watchcwd', 'watchcmd'],
    ['doneshell', 'donecmd'],
    ['donecwd', 'donecmd'],
  ];
  for (const [param, needs] of companions) {
    if (given(p[param]) && !given(p[needs])) issues.push({ param, message: `${param} has no effect without ${needs}`, hint: `add ${needs}, or remove ${param}` });
  }
  return issues;
}
