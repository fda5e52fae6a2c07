import type { ScalarTag } from 'yaml';

/**
 * A plain scalar of digits with a leading zero (`0640`, `0400`) is read as
 * the string it is written as. YAML 1.2 would make `0400` the decimal 400,
 * which as a file mode is 0620: a user who writes `mode: 0400`, as mgmt's
 * graphs do (its YAML 1.1 reader hands the text to a string param), means
 * octal 0400, and a param that wants an integer says so clearly instead of
 * taking a number the user did not write. YAML 1.2's octal form (`0o640`)
 * is kept as written too: a mode param then reads it as the octal it says,
 * where the number would be taken for its digits (`416`, as mgmt reads an
 * unquoted mode). `0` and `0x1f` stay numbers.
 */
export const LEADING_ZERO_AS_WRITTEN: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:str',
  test: /^(?:[-+]?0[0-9]+|0o[0-7]+)$/,
  resolve: (text) => text,
};
