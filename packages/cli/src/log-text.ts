import { distinctLine, safeText } from './terminal-text.js';

/**
 * A log line's text as it may reach a terminal: a resource name or a
 * command's output can hold newlines and escape sequences, which would
 * fake log lines of their own or drive the terminal. The resource is
 * written as distinctLine writes it (a real newline `\n`, a typed
 * backslash-n `\\n`: two names never read alike), and every control
 * character of the message escaped; a message's own line breaks stay, with
 * the lines after the first indented, so no line of it can pass for a log
 * line.
 */
export function terminalSafe(record: Record<string, unknown>): Record<string, unknown> {
  const { resource, msg } = record;
  const safe = { ...record };
  if (typeof resource === 'string') safe['resource'] = distinctLine(resource);
  if (typeof msg === 'string') safe['msg'] = safeText(msg);
  return safe;
}
