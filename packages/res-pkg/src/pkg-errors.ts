import { EngineError, isEngineError } from '@converge/engine-api';
import type { Phase } from '@converge/engine-api';
import { isPackageKitError } from './packagekit/errors.js';
import type { PackageKitFailure } from './packagekit/errors.js';

const START_BUS = 'start the system bus: `dbus-daemon --system --fork` (remove a stale /run/dbus/pid first); see the res-pkg README';

const HINTS: Record<PackageKitFailure, string> = {
  'no-bus': START_BUS,
  'bus-lost': `the bus went away; ${START_BUS}`,
  'no-daemon': 'install PackageKit (`apt-get install packagekit`), or start it by hand: `/usr/libexec/packagekitd --disable-timer &`',
  'daemon-exited': 'packagekitd stopped mid-transaction: check its log, then retry (set meta retry to retry by itself)',
  'not-authorized': 'polkit refused: run converge as root, or add a polkit rule that allows org.freedesktop.packagekit.* for this user',
  untrusted: "the package's signature cannot be checked: fix the repository's key, or set allowuntrusted: true",
  'not-found': 'check the name and version (`apt-cache policy NAME`), refresh the package lists (`pkcon refresh`), or set allownonfree / allowunsupported',
  'has-dependents':
    'remove those packages too: manage them with state: uninstalled as well (same flags, so that they share the transaction), or remove them first (`apt-get remove NAME`); or keep this package installed',
  locked: 'another package manager (apt-get, dpkg, unattended-upgrades) holds the dpkg lock; converge waits for it and tries again',
  aborted: 'the engine stopped the run (timeout or shutdown)',
  failed: 'run the same change with pkcon (`pkcon install NAME`) to see PackageKit’s full error',
};

/** Turns any failure of a PackageKit call into an EngineError of the resource, with a hint. */
export function pkgError(error: unknown, resource: string, phase: Phase): EngineError {
  if (isEngineError(error)) return error;
  const code = phase === 'watch' ? 'ERR_RESOURCE_WATCH' : phase === 'init' ? 'ERR_RESOURCE_INIT' : 'ERR_RESOURCE_CHECK_APPLY';
  if (isPackageKitError(error)) {
    return new EngineError(error.failure === 'aborted' ? 'ERR_RESOURCE_TIMEOUT' : code, error.message, {
      resource,
      phase,
      hint: HINTS[error.failure],
      // A group's packages that could not be found: only those fail, the others were seen to.
      ...(error.members === undefined ? {} : { members: error.members }),
      cause: error,
    });
  }
  return new EngineError(code, `PackageKit call failed: ${String(error)}`, { resource, phase, cause: error });
}

/** dpkg was cut short earlier: no package state read now can be trusted, and no change would go through. */
export function dpkgInterruptedError(resource: string): EngineError {
  return new EngineError('ERR_RESOURCE_CHECK_APPLY', 'dpkg was interrupted (its journal in /var/lib/dpkg/updates was never applied): package states cannot be trusted until it is repaired', {
    resource,
    phase: 'checkApply',
    hint: 'run `dpkg --configure -a` as root; converge checks again by itself once dpkg is repaired',
  });
}
