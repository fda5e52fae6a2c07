/**
 * Structured fields attached to a log line. Never put a secret in one.
 *
 * `members` (since engine API 1.15): a grouped resource's line about some
 * members of its group names them, by position as `EngineError.members`
 * does (0 is this resource, then the children in the order `group` got
 * them). The engine tags the line with their `kind[name]` instead of this
 * resource's: the first as `resource`, all of them as `resources` when
 * several; `members` itself is not logged. Without it, a line about the
 * group is told as its first resource's, which may be one it is not about
 * (a misspelt package whose group installed the others). An older engine
 * logs `members` as a plain field.
 */
export type LogFields = Readonly<Record<string, unknown>> & { readonly members?: readonly number[] };

/**
 * The logger a resource receives. Every line it writes is tagged with the
 * resource's `kind[name]` by the engine (or its group's `members`, see
 * LogFields). Logging never throws.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
