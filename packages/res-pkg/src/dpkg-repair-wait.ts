import { DPKG_DIR } from './dpkg-files.js';
import { dpkgInterrupted } from './dpkg-interrupted.js';

/** How often an interrupted dpkg is looked at again: two cheap reads (its journal folder, /proc/locks). */
export const REPAIR_POLL_MS = 2_000;

/**
 * Calls `onRepaired` once dpkg is no longer interrupted: someone ran `dpkg
 * --configure -a`, or the journal was a run's that ended meanwhile. Polled,
 * not watched: the journal may already be gone by the time its interruption
 * was reported, and then no change would ever come to wake a watch. Returns
 * a function that stops waiting; the timer never keeps the process alive.
 */
export function whenDpkgRepaired(onRepaired: () => void, dpkgDir = DPKG_DIR, intervalMs = REPAIR_POLL_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const look = async () => {
    if (stopped) return;
    if (await dpkgInterrupted(dpkgDir)) {
      if (!stopped) timer = setTimeout(() => void look(), intervalMs).unref();
    } else if (!stopped) {
      stopped = true;
      onRepaired();
    }
  };
  timer = setTimeout(() => void look(), intervalMs).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
