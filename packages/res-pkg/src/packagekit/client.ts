import { DBusError, Message, MessageType, systemBus } from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { bits, CHANGING_STATUSES, ErrorCode, Exit, Info, TransactionFlag } from './enums.js';
import { PackageKitError } from './errors.js';
import type { PackageKitFailure } from './errors.js';
import { parsePackageId } from './package-id.js';
import type { PackageRef } from './package-id.js';

const SERVICE = 'org.freedesktop.PackageKit';
const ROOT_PATH = '/org/freedesktop/PackageKit';
const TRANSACTION = 'org.freedesktop.PackageKit.Transaction';
const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

/**
 * The transaction methods converge calls, counted per client for tests and
 * benchmarks. `SimulateRemovePackages` is RemovePackages with the SIMULATE
 * flag, counted apart.
 */
export type TransactionMethod = 'Resolve' | 'InstallPackages' | 'RemovePackages' | 'SimulateRemovePackages' | 'UpdatePackages' | 'GetUpdates';

/** The methods whose transaction runs dpkg: a simulated removal, a Resolve or GetUpdates never does. */
const CHANGING_METHODS: ReadonlySet<TransactionMethod> = new Set(['InstallPackages', 'RemovePackages', 'UpdatePackages']);

interface Running {
  readonly packages: PackageRef[];
  readonly errors: { code: number; details: string }[];
  /** Once the backend has changed the system in this transaction (or said it may not be cancelled), a Cancel would break it. */
  pastCancelling: boolean;
  /** Set while this transaction changes the system (see onChangingSystem); only for the methods that can. */
  changing: boolean;
  readonly canChange: boolean;
  finish(exit: number): void;
  fail(error: PackageKitError): void;
}

/**
 * A small client of PackageKit's D-Bus API on the system bus. Each call is
 * one PackageKit transaction: CreateTransaction, then one method on it, then
 * its Package / ErrorCode signals until Finished. Failures are
 * PackageKitErrors that say why (no bus, no daemon, not authorized, ...);
 * nothing here ever lets dbus-next's `error` event crash the process.
 */
export class PackageKitClient {
  /** How many transactions of each method this client created. */
  readonly transactions = new Map<TransactionMethod, number>();
  private readonly running = new Map<string, Running>();
  private readonly updatesListeners = new Set<() => void>();
  private broken: PackageKitError | undefined;
  /**
   * Told when an aborted transaction is left to finish: the backend is
   * changing the system, and a Cancel would leave dpkg half done.
   */
  onLeftToFinish: (method: TransactionMethod) => void = () => {};
  /**
   * Told `true` when a transaction of this client starts changing the
   * system (the backend says it may no longer be cancelled, or that it
   * installs, removes...: it holds dpkg's lock and runs dpkg from then on),
   * and `false` once it ended, whichever way. PackageKit runs one such
   * transaction at a time, so dpkg's writes in between are this client's.
   */
  onChangingSystem: (changing: boolean) => void = () => {};
  private onBroken: (error: PackageKitError) => void = () => {};
  private readonly brokenPromise = new Promise<never>((_, reject) => {
    this.onBroken = reject;
  });

  private constructor(private readonly bus: MessageBus) {
    // Keep the rejection handled: callers race against it, and it may never be awaited.
    this.brokenPromise.catch(() => {});
    bus.on('error', (error: unknown) => this.breakWith(new PackageKitError('bus-lost', `the system D-Bus connection failed: ${describe(error)}`, undefined, { cause: error })));
    bus.on('message', (message: Message) => this.dispatch(message));
  }

  /** Connects to the system bus and subscribes to PackageKit's signals. */
  static async connect(signal?: AbortSignal): Promise<PackageKitClient> {
    const bus = systemBus();
    let client: PackageKitClient | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new PackageKitError('aborted', 'connecting to the system D-Bus was aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        bus.once('connect', () => resolve());
        // Kept for the bus's whole life (a no-op once settled): dbus-next may
        // emit several errors, and one with no listener would crash the process.
        bus.on('error', (error: unknown) =>
          reject(new PackageKitError('no-bus', `cannot connect to the system D-Bus: ${describe(error)}`, undefined, { cause: error })),
        );
      });
      client = new PackageKitClient(bus);
      await client.call({ ...BUS, member: 'AddMatch', signature: 's', body: [`type='signal',sender='${SERVICE}'`] });
      await client.call({
        ...BUS,
        member: 'AddMatch',
        signature: 's',
        body: [`type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${SERVICE}'`],
      });
      return client;
    } catch (error) {
      bus.disconnect();
      throw error;
    }
  }

  /** Resolves package names to every installed and candidate version PackageKit knows. */
  async resolve(names: readonly string[], filter: bigint, signal?: AbortSignal): Promise<PackageRef[]> {
    if (names.length === 0) return [];
    return this.transaction('Resolve', 'tas', [filter, [...names]], signal);
  }

  async install(ids: readonly string[], flags: bigint, signal?: AbortSignal): Promise<void> {
    await this.transaction('InstallPackages', 'tas', [flags, [...ids]], signal);
  }

  /**
   * Removes packages, asking for neither their dependents (allow_deps false)
   * nor autoremoval. Some backends (apt) remove dependents all the same:
   * check `removalOf` first.
   */
  async remove(ids: readonly string[], flags: bigint, signal?: AbortSignal): Promise<void> {
    await this.transaction('RemovePackages', 'tasbb', [flags, [...ids], false, false], signal);
  }

  /**
   * Every package a `remove` of `ids` would remove, dependents included: a
   * simulated RemovePackages (SIMULATE flag), which changes nothing and
   * lists what the backend would do in its Package signals.
   */
  async removalOf(ids: readonly string[], flags: bigint, signal?: AbortSignal): Promise<PackageRef[]> {
    if (ids.length === 0) return [];
    const simulate = flags | bits([TransactionFlag.simulate]);
    return this.transaction('SimulateRemovePackages', 'tasbb', [simulate, [...ids], false, false], signal);
  }

  async update(ids: readonly string[], flags: bigint, signal?: AbortSignal): Promise<void> {
    await this.transaction('UpdatePackages', 'tas', [flags, [...ids]], signal);
  }

  /** The packages with an update available. */
  async updates(filter: bigint, signal?: AbortSignal): Promise<PackageRef[]> {
    return this.transaction('GetUpdates', 't', [filter], signal);
  }

  /** Calls `listener` on PackageKit's UpdatesChanged signal; returns the unsubscribe function. */
  onUpdatesChanged(listener: () => void): () => void {
    this.updatesListeners.add(listener);
    return () => this.updatesListeners.delete(listener);
  }

  /** False once the bus connection failed or the client was closed. */
  get isOpen(): boolean {
    return this.broken === undefined;
  }

  /** Total transactions this client created. */
  get transactionCount(): number {
    return [...this.transactions.values()].reduce((sum, count) => sum + count, 0);
  }

  /**
   * Stops waiting for every transaction now running, without cancelling
   * any: each goes on in packagekitd to its end (a third stop signal, when
   * waiting for one that must not be cancelled is not wanted).
   */
  abandon(): void {
    for (const running of this.running.values()) {
      running.fail(new PackageKitError('aborted', 'stopped waiting for PackageKit; the transaction goes on in packagekitd to its end'));
    }
  }

  close(): void {
    this.breakWith(new PackageKitError('aborted', 'the PackageKit client was closed'));
    this.bus.disconnect();
  }

  private async transaction(method: TransactionMethod, signature: string, body: unknown[], signal?: AbortSignal): Promise<PackageRef[]> {
    if (signal?.aborted) throw new PackageKitError('aborted', `${method} was aborted before it started`);
    this.transactions.set(method, (this.transactions.get(method) ?? 0) + 1);
    const created = await this.call({ destination: SERVICE, path: ROOT_PATH, interface: SERVICE, member: 'CreateTransaction' });
    const tid = String(created?.body[0]);
    const call = (member: string, sig: string, args: unknown[]) =>
      this.call({ destination: SERVICE, path: tid, interface: TRANSACTION, member, signature: sig, body: args });

    const finished = new Promise<PackageRef[]>((resolve, reject) => {
      const packages: PackageRef[] = [];
      const errors: Running['errors'] = [];
      this.running.set(tid, {
        packages,
        errors,
        pastCancelling: false,
        changing: false,
        canChange: CHANGING_METHODS.has(method),
        finish: (exit) => (exit === Exit.success ? resolve(packages) : reject(transactionFailure(method, exit, errors))),
        fail: reject,
      });
    });
    finished.catch(() => {});
    const onAbort = () => {
      const running = this.running.get(tid);
      if (running?.pastCancelling) {
        // Waited for instead: it ends as it ends (Finished), and the packages are then as it left them.
        this.onLeftToFinish(method);
        return;
      }
      running?.fail(new PackageKitError('aborted', `${method} was aborted`));
      void call('Cancel', '', []).catch(() => {});
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // A service that runs unattended cannot answer an authentication dialog.
      await call('SetHints', 'as', [['interactive=false', 'locale=C']]);
      await call(method === 'SimulateRemovePackages' ? 'RemovePackages' : method, signature, body);
      return await Promise.race([finished, this.brokenPromise]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Failed, abandoned, or packagekitd gone: no Finished came to end it.
      const running = this.running.get(tid);
      if (running) this.changeEnded(running);
      this.running.delete(tid);
    }
  }

  /** One method call, failing at once when the bus connection is broken. */
  private async call(fields: ConstructorParameters<typeof Message>[0]): Promise<Message | null> {
    if (this.broken) throw this.broken;
    try {
      return await Promise.race([this.bus.call(new Message(fields)), this.brokenPromise]);
    } catch (error) {
      throw callFailure(String(fields.member), error);
    }
  }

  private dispatch(message: Message): void {
    if (message.type !== MessageType.SIGNAL) return;
    if (message.member === 'NameOwnerChanged' && message.body[0] === SERVICE && message.body[2] === '') {
      const error = new PackageKitError('daemon-exited', 'packagekitd left the system bus (it exited or crashed) during a transaction');
      for (const running of this.running.values()) running.fail(error);
      return;
    }
    if (message.path === ROOT_PATH && message.member === 'UpdatesChanged') {
      for (const listener of this.updatesListeners) listener();
      return;
    }
    const running = this.running.get(message.path);
    if (!running) return;
    if (message.member === 'Package') {
      const info = Number(message.body[0]) & 0xffff;
      running.packages.push(parsePackageId(String(message.body[1]), info === Info.installed));
    } else if (message.member === 'ErrorCode') {
      running.errors.push({ code: Number(message.body[0]), details: String(message.body[1]) });
    } else if (message.member === 'Finished') {
      // Told before the caller goes on: its next step may be the end of its check.
      this.changeEnded(running);
      running.finish(Number(message.body[0]));
    } else if (message.member === 'PropertiesChanged' && message.body[0] === TRANSACTION) {
      const changed = message.body[1] as Record<string, { value: unknown } | undefined>;
      const status = changed['Status']?.value;
      if (changed['AllowCancel']?.value === false || (typeof status === 'number' && CHANGING_STATUSES.has(status))) {
        running.pastCancelling = true;
        if (running.canChange && !running.changing) {
          running.changing = true;
          this.onChangingSystem(true);
        }
      }
    }
  }

  private changeEnded(running: Running): void {
    if (!running.changing) return;
    running.changing = false;
    this.onChangingSystem(false);
  }

  private breakWith(error: PackageKitError): void {
    if (this.broken) return;
    this.broken = error;
    this.onBroken(error);
    for (const running of this.running.values()) running.fail(error);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

/** Turns a failed D-Bus call into a PackageKitError that says which part is missing. */
function callFailure(member: string, error: unknown): PackageKitError {
  if (error instanceof PackageKitError) return error;
  if (error instanceof DBusError) {
    const type = error.type;
    let failure: PackageKitFailure = 'failed';
    if (type === 'org.freedesktop.DBus.Error.ServiceUnknown' || type.startsWith('org.freedesktop.DBus.Error.Spawn') || type === 'org.freedesktop.DBus.Error.NameHasNoOwner') {
      failure = 'no-daemon';
    } else if (type === 'org.freedesktop.DBus.Error.NoReply') {
      failure = 'daemon-exited';
    } else if (/RefusedByPolicy|NotAuthorized|AccessDenied/.test(type)) {
      failure = 'not-authorized';
    }
    return new PackageKitError(failure, `PackageKit ${member} failed: ${type}: ${error.text}`, error.text, { cause: error });
  }
  return new PackageKitError('failed', `PackageKit ${member} failed: ${describe(error)}`, undefined, { cause: error });
}

/** Turns a transaction's exit and ErrorCode signals into one PackageKitError. */
function transactionFailure(method: string, exit: number, errors: readonly { code: number; details: string }[]): PackageKitError {
  const codes = new Set(errors.map((error) => error.code));
  // PackageKit's details often end with a newline, which would leave an empty line in every report.
  const details = errors.map((error) => error.details.trim()).join('; ');
  const untrustedCodes = [
    ErrorCode.gpgFailure,
    ErrorCode.badGpgSignature,
    ErrorCode.missingGpgSignature,
    ErrorCode.cannotInstallRepoUnsigned,
    ErrorCode.cannotUpdateRepoUnsigned,
  ];
  let failure: PackageKitFailure = 'failed';
  if (codes.has(ErrorCode.notAuthorized)) failure = 'not-authorized';
  else if (exit === Exit.needUntrusted || exit === Exit.keyRequired || untrustedCodes.some((code) => codes.has(code))) failure = 'untrusted';
  else if (codes.has(ErrorCode.packageNotFound)) failure = 'not-found';
  else if (codes.has(ErrorCode.cannotGetLock)) failure = 'locked';
  else if (exit === Exit.cancelled) failure = 'aborted';
  else if (exit === Exit.killed) failure = 'daemon-exited';
  const what = details || `exit code ${exit}`;
  return new PackageKitError(failure, `PackageKit ${method} failed: ${what}`, details || undefined);
}
