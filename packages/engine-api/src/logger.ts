/** Structured fields attached to a log line. Never put a secret in one. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger a resource receives. Every line it writes is tagged with the
 * resource's `kind[name]` by the engine. Logging never throws.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
