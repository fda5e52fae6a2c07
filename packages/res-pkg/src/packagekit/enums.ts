/**
 * The few PackageKit enum values converge uses, as numbered in PackageKit's
 * D-Bus API (pk-enum.h). Filters and transaction flags travel as bit fields:
 * bit N set means enum value N.
 */
export const Filter = {
  installed: 2,
  free: 8,
  supported: 12,
  newest: 16,
  arch: 18,
} as const;

export const TransactionFlag = {
  onlyTrusted: 1,
  /** Only say what would happen (Package signals), change nothing. */
  simulate: 2,
  allowDowngrade: 6,
} as const;

/** Package() signal `info`; the high 16 bits may carry extra data (update severity). */
export const Info = {
  installed: 1,
  available: 2,
} as const;

export const Exit = {
  success: 1,
  failed: 2,
  cancelled: 3,
  keyRequired: 4,
  killed: 6,
  needUntrusted: 8,
} as const;

/** ErrorCode() signal codes converge explains; others are reported with their details. */
export const ErrorCode = {
  noNetwork: 2,
  gpgFailure: 5,
  packageNotFound: 8,
  depResolutionFailed: 13,
  cannotGetLock: 26,
  badGpgSignature: 30,
  missingGpgSignature: 31,
  notAuthorized: 48,
  cannotInstallRepoUnsigned: 50,
  cannotUpdateRepoUnsigned: 51,
} as const;

/**
 * Transaction `Status` values during which the backend is changing the
 * system (dpkg unpacking, configuring, running hooks): a Cancel then
 * leaves the package database half done ("dpkg was interrupted").
 */
export const CHANGING_STATUSES: ReadonlySet<number> = new Set([
  6, // remove
  9, // install
  10, // update
  11, // cleanup
  12, // obsolete
  16, // commit
  26, // repackaging
  35, // copy-files
  36, // run-hook
]);

export function bits(values: readonly number[]): bigint {
  return values.reduce((field, value) => field | (1n << BigInt(value)), 0n);
}
