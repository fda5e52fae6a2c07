import { envEntries, envValue } from './container-spec.js';
import type { ContainerParams } from './params.js';

/** What an env value is replaced by in a container's output quoted in an error. */
const HIDDEN = '[secret]';

/** Values shorter than this are hidden only where they stand alone, not inside words (which they would garble). */
const SHORT_VALUE_LENGTH = 4;

/**
 * `text` (a container's last output, quoted in an error) with every value
 * of the container's `env` replaced: env values are often secrets (a
 * token the command echoes as it fails), and are never shown elsewhere
 * either. Longest first, in one pass, so one value inside another does not
 * leave a part of it showing.
 */
export function withEnvValuesHidden(text: string, env: ContainerParams['env']): string {
  const values = [...new Set(envEntries(env).map(envValue))].filter((value) => value.length > 0).sort((a, b) => b.length - a.length);
  if (values.length === 0 || text.length === 0) return text;
  const alternatives = values.map((value) => {
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return value.length < SHORT_VALUE_LENGTH ? `(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])` : escaped;
  });
  return text.replace(new RegExp(alternatives.join('|'), 'g'), HIDDEN);
}
