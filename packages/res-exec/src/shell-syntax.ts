import type { ValidationIssue } from '@converge/engine-api';
import { splitFields } from './command-line.js';
import type { ExecParams } from './params.js';

/** Each command param and the shell param that runs it. */
const COMMANDS = [
  ['cmd', 'shell'],
  ['ifcmd', 'ifshell'],
  ['nifcmd', 'nifshell'],
  ['watchcmd', 'watchshell'],
  ['donecmd', 'doneshell'],
] as const;

/** What only a shell gives meaning to, by the word it is seen in. */
const SHELL_ONLY: readonly (readonly [RegExp, string])[] = [
  [/^(?:\d?>>?|&>|<)/, 'a redirection'],
  [/^(?:\|\|?|&&|&)$|;$/, 'a pipe or a command separator'],
  [/['"`\\]/, 'quoting'],
  [/\$[A-Za-z_{(]/, 'a variable or command substitution'],
  [/^~\//, 'a home folder'],
];

/** The first word of a command that a shell would read differently, and what it is; undefined when there is none. */
function shellOnlyWord(command: string): { word: string; what: string } | undefined {
  for (const word of splitFields(command)) {
    for (const [pattern, what] of SHELL_ONLY) if (pattern.test(word)) return { word, what };
  }
  return undefined;
}

/**
 * A command without a shell is split on whitespace and run as it is, as in
 * mgmt: `echo hi > out` hands `>` and `out` to echo, and writes no file. A
 * warning, not a refusal (mgmt runs such graphs, and a program may want a
 * literal `$` or `>`), so the graph still loads.
 */
export function shellSyntaxWithoutShell(p: Readonly<ExecParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [command, shell] of COMMANDS) {
    const text = p[command];
    if (text === undefined || p[shell] || (command === 'cmd' && p.args !== undefined && p.args.length > 0)) continue;
    const found = shellOnlyWord(text);
    if (!found) continue;
    const program = splitFields(text)[0] ?? '';
    issues.push({
      param: command,
      message: `holds ${found.what} (\`${found.word}\`), but no ${shell} runs it: it is split at spaces and \`${found.word}\` reaches ${program} as an argument`,
      hint: `add ${shell}: /bin/sh to run it through a shell, or write the program's own arguments without shell syntax`,
      severity: 'warning',
    });
  }
  return issues;
}
