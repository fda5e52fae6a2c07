import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '@converge/engine-api';

/** The label of graphs built in code, used where no caller's line is known. */
export const API_FILE = '<api>';

/** One frame of a V8 stack: `at fn (file:line:col)` or `at file:line:col`. */
const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/;

/**
 * Where the code that called `api` stands, so that an error in a graph built
 * in code points at the user's own line (as YAML errors point at theirs).
 * Falls back to `<api>:ordinal:1` when the stack says nothing usable.
 */
export function callerLocation(api: (...args: never[]) => unknown, ordinal: number): SourceLocation {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, api);
  const frame = holder.stack?.split('\n')[1]?.trim();
  const match = frame ? FRAME.exec(frame) : null;
  if (!match) return { file: API_FILE, line: ordinal, column: 1 };
  const [, where = '', line = '0', column = '0'] = match;
  return { file: where.startsWith('file://') ? fileURLToPath(where) : where, line: Number(line), column: Number(column) };
}
