/**
 * The longest wait a Node timer keeps: 2^31 - 1 ms, about 24.8 days. A
 * longer one fires after 1 ms (with only a runtime warning), so a monthly
 * poll would run in a tight loop: such values are refused where they are
 * given (metaparams at load, --converger-timeout on the command line).
 */
export const LONGEST_WAIT_MS = 2 ** 31 - 1;
