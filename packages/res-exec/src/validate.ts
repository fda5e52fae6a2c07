import { isAbsolute } from 'node:path';
import type { ValidationIssue } from '@converge/engine-api';
import { splitFields } from './command-line.js';
import { nameOrIdProblem } from './credentials.js';
import type { ExecParams } from './params.js';
import { shellSyntaxWithoutShell } from './shell-syntax.js';

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
  issues.push(...nulBytes(p));
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
  // A warning, not a refusal: mgmt runs such graphs (a template that sets a shell on every exec).
  for (const [param, needs] of companions) {
    if (given(p[param]) && !given(p[needs])) {
      issues.push({ param, message: `${param} has no effect without ${needs}`, hint: `add ${needs}, or remove ${param}`, severity: 'warning' });
    }
  }
  issues.push(...shellSyntaxWithoutShell(p));
  return issues;
}

/** Params compared with output, not handed to the system: a NUL byte there is the user's business. */
const COMPARED_ONLY: ReadonlySet<string> = new Set(['ifequals', 'ifequals_stdout']);

/**
 * A NUL byte in what goes to the system (a command line, a path, an
 * environment, a user name) cannot be passed on: refused at load rather
 * than failing when the command starts. The value is not shown (an
 * environment value may be a secret).
 */
function nulBytes(p: Readonly<ExecParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const hint = 'remove it (a \\0 or \\x00 escape in a double-quoted YAML string writes one)';
  const told = (param: string, at: readonly (string | number)[] = []): void => {
    issues.push({ param, ...(at.length > 0 ? { at: [...at] } : {}), message: 'contains a NUL byte, which no command line, path or environment can hold', hint });
  };
  for (const [param, value] of Object.entries(p)) {
    if (COMPARED_ONLY.has(param)) continue;
    if (typeof value === 'string' && value.includes('\0')) told(param);
    else if (Array.isArray(value)) value.forEach((entry, index) => typeof entry === 'string' && entry.includes('\0') && told(param, [index]));
    else if (value !== null && typeof value === 'object') {
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        if (key.includes('\0') || (typeof entry === 'string' && entry.includes('\0'))) told(param, [key]);
      }
    }
  }
  return issues;
}
