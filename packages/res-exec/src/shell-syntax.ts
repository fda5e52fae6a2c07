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

/**
 * What only a shell gives meaning to, by the word it is seen in. A backslash
 * is not among them (`sed s/a\/b/`, `grep ^1\.2`, `awk -F\t` are written
 * for the program), nor is a `;` that merely ends a word (`cut -d;`).
 */
const SHELL_ONLY: readonly (readonly [RegExp, string])[] = [
  // At the start of a word (`>`, `2>>`, `&>`, `<`), or inside one before a path or `&` (`hi>/tmp/out`, `x>&2`).
  [/^(?:\d?>>?|&>|<)|>>?(?:[/~&]|\.\.?\/)/, 'a redirection'],
  // A word of its own, or inside a word before a program's path (`hi|/bin/cat`, `/bin/true;/bin/false`).
  [/^(?:\|\|?|&&?|;)$|(?:\|\|?|&&?|;)(?:[/~]|\.\.?\/)/, 'a pipe or a command separator'],
  [/['"`]/, 'quoting'],
  [/\$[A-Za-z_{(]/, 'a variable or command substitution'],
  [/^~[\w.-]*(?:\/|$)/, 'a home folder'],
  // In a path only: elsewhere `*`, `?` and `[` are a pattern's own (`grep ^[0-9]+`, a URL's query).
  [/^(?:[/~]|\.\.?\/).*[*?[]/, 'a glob'],
];

/** The first word of a command that a shell would read differently, its place and what it is; undefined when there is none. */
function shellOnlyWord(command: string): { word: string; index: number; what: string } | undefined {
  const words = splitFields(command);
  for (const [index, word] of words.entries()) {
    if (index === 0 && /^[A-Za-z_]\w*=/.test(word)) return { word, index, what: 'a variable assignment' };
    // find's own end of -exec (`{} ;`), which a shell would need as `\;`.
    if (word === ';' && words[index - 1] === '{}') continue;
    for (const [pattern, what] of SHELL_ONLY) if (pattern.test(word)) return { word, index, what };
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
    const reaches = found.index === 0 ? 'is run as the program' : `reaches ${program} as an argument`;
    issues.push({
      param: command,
      message: `holds ${found.what} (\`${found.word}\`), but no ${shell} runs it: it is split at spaces and \`${found.word}\` ${reaches}`,
      hint: `add ${shell}: /bin/sh to run it through a shell, or write the program's own arguments without shell syntax`,
      severity: 'warning',
    });
  }
  return issues;
}
