import type { Logger as ResourceLogger } from '@converge/engine-api';
import type { Logger } from 'pino';

/** The engine-api logger shape (message first) over the CLI's pino logger. */
export function worldLogger(logger: Logger): ResourceLogger {
  const child = logger.child({ component: 'world' });
  return {
    debug: (message, fields) => child.debug(fields ?? {}, message),
    info: (message, fields) => child.info(fields ?? {}, message),
    warn: (message, fields) => child.warn(fields ?? {}, message),
    error: (message, fields) => child.error(fields ?? {}, message),
  };
}
