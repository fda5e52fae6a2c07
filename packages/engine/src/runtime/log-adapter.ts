import type { Logger as ResourceLogger, LogFields } from '@converge/engine-api';
import type { Logger as PinoLogger } from 'pino';
import type { SecretValues } from './secrets.js';

/** Gives a resource the small engine-api Logger on top of a pino child; secrets it received are masked. */
export function resourceLogger(pino: PinoLogger, secrets: SecretValues): ResourceLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    try {
      if (fields) pino[level](secrets.maskFields(fields), secrets.mask(message));
      else pino[level](secrets.mask(message));
    } catch {
      // Logging never throws into a resource.
    }
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
