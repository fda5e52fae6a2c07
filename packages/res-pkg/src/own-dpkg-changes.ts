import { statSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolders } from './dpkg-lock.js';

/**
 * dpkg's status file as it is now: dpkg never writes it in place but renames
 * a new file over it, so every write gives it another inode (and size and
 * times); an equal text means nobody has written it since.
 */
function statusFingerprint(dpkgDir: string): string {
  try {
    const found = statSync(join(dpkgDir, 'status'), { bigint: true, throwIfNoEntry: false });
    return found === undefined ? 'missing' : [found.dev, found.ino, found.size, found.mtimeNs, found.ctimeNs].join(' ');
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}

/**
 * Tells a resource's watch which changes of dpkg's status are the
 * resource's own transactions (a group's too: one instance runs them). Its
 * own install writes the status file several times; reported as events,
 * they made it dirty again, and what it notifies or comes before waited
 * for a second check, a whole Resolve (QA: 5 s between `pkg[hello]:
 * changed` and the exec it notifies). So:
 *
 * - a write while its own transaction changes the system is its own:
 *   PackageKit holds dpkg's lock from then to its end, and runs one such
 *   transaction at a time, so nobody else can write meanwhile;
 * - a write told after that transaction (the event came late) is its own
 *   when the file is still as the transaction left it: anyone's later write
 *   replaces it;
 * - a write that came before its transaction started changing, but was
 *   told only after (a busy event loop), would pass for its own: the file
 *   is compared, when the change starts, with what it was when the check
 *   began (or its last change ended). Not the same, or the lock held by
 *   another program when the change ended (an apt-get that waited for it,
 *   its write maybe counted in), and the check is in doubt: an event is
 *   told once it ends. At worst one check too many, never a change missed.
 */
export class OwnDpkgChanges {
  /** What the status file should still be: as the check found it, then as its last change left it. */
  #expected: string | undefined;
  /** As the last own change left it, while no other write has been told since. */
  #leftBy: string | undefined;
  #changing = 0;
  #doubt = false;
  readonly #lockLooks: Promise<void>[] = [];

  constructor(private readonly dpkgDir: string) {}

  /** A check begins: the file as its Resolve will see it (or newer; a write after this is then a doubt, not a miss). */
  checkStarts(): void {
    this.#expected = statusFingerprint(this.dpkgDir);
    this.#doubt = false;
  }

  /** One of its transactions starts changing the system. */
  changeStarts(): void {
    if (statusFingerprint(this.dpkgDir) !== this.#expected) this.#doubt = true;
    this.#changing += 1;
    this.#leftBy = undefined;
  }

  /** That transaction ended (finished, failed or abandoned). */
  changeEnds(): void {
    this.#changing = Math.max(0, this.#changing - 1);
    const now = statusFingerprint(this.dpkgDir);
    this.#expected = now;
    this.#leftBy = now;
    // PackageKit has let go of the lock before it says Finished; someone
    // else holding it now may have written already. packagekitd itself
    // (another client's transaction, just started) cannot have yet.
    this.#lockLooks.push(
      lockHolders([join(this.dpkgDir, 'lock'), join(this.dpkgDir, 'lock-frontend')]).then((holders) => {
        if (holders.every((holder) => holder.command === 'packagekitd')) return;
        this.#doubt = true;
        this.#leftBy = undefined;
      }),
    );
  }

  /** For the watch, on an event of dpkg's status: true when it is the resource's own write, not to be reported. */
  isOwn(): boolean {
    if (this.#changing > 0) return true;
    if (this.#leftBy !== undefined && statusFingerprint(this.dpkgDir) === this.#leftBy) return true;
    this.#leftBy = undefined;
    return false;
  }

  /** At the end of a check: true when another program may have written during it, its event taken for the resource's own. */
  async inDoubt(): Promise<boolean> {
    await Promise.all(this.#lockLooks.splice(0));
    const doubt = this.#doubt;
    this.#doubt = false;
    return doubt;
  }
}
