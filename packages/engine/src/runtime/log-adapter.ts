import type { Logger as ResourceLogger, LogFields } from '@converge/engine-api';
import type { Logger as PinoLogger } from 'pino';

/** Gives a resource the small engine-api Logger on top of a pino child. */
export function resourceLogger(pino: PinoLogger): ResourceLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    try {
      if (fields) pino[level](fields, message);
      else pino[level](message);
    } catch {
      // Logging never throws into a resource.
    }
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
