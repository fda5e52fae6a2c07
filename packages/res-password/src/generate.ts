import { randomInt } from 'node:crypto';

/** The characters a password is made of: safe in shells, URLs and config files. */
export const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A password of `length` characters from a CSPRNG. `randomInt` draws by
 * rejection sampling, so every character is uniform over the alphabet with
 * no modulo bias.
 */
export function generatePassword(length: number): string {
  let password = '';
  for (let i = 0; i < length; i++) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return password;
}

/** True when `value` could have been made by `generatePassword(length)`. */
export function isWellFormedPassword(value: string, length: number): boolean {
  return value.length === length && isPasswordText(value);
}

/** True when `value` could have been made by `generatePassword` of some length. */
export function isPasswordText(value: string): boolean {
  if (value.length === 0) return false;
  for (const char of value) if (!PASSWORD_ALPHABET.includes(char)) return false;
  return true;
}
