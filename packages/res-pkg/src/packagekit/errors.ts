/** Why a PackageKit call failed, in terms a resource can explain to its user. */
export type PackageKitFailure =
  | 'no-bus'
  | 'bus-lost'
  | 'no-daemon'
  | 'daemon-exited'
  | 'not-authorized'
  | 'untrusted'
  | 'not-found'
  | 'has-dependents'
  | 'locked'
  | 'aborted'
  | 'failed';

/** A failed call to PackageKit; `details` is PackageKit's own text when it gave one. */
export class PackageKitError extends Error {
  constructor(
    readonly failure: PackageKitFailure,
    message: string,
    readonly details?: string,
    options?: { cause?: unknown; members?: readonly number[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackageKitError';
    this.members = options?.members;
  }

  /** The requests (a group's members, by position) it is about; undefined: all of them. */
  readonly members: readonly number[] | undefined;
}

export function isPackageKitError(value: unknown): value is PackageKitError {
  return value instanceof PackageKitError;
}
