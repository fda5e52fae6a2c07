import { ExitCode } from './exit-codes.js';

/**
 * Stop signals and SIGHUP for the whole of a `run`, including the parts
 * where its own handlers are not in place: while the graph loads and the
 * engine is made (a large graph takes seconds), and once the reloader has
 * stopped. Without a listener, Node's default ends the process at once
 * (exit 129, 130 or 143) with nothing said, no summary and a --tmp-prefix
 * folder left behind; a supervisor that sends SIGHUP right after writing
 * the graph would kill the agent. `validate` and `graph` keep it while they
 * load their graph too.
 */
export class EarlySignals {
  /** The first stop signal that came before the run's own handlers took over. */
  stopSignal: NodeJS.Signals | undefined;
  /** A SIGHUP came before the reloader listened: reload once it does. */
  hangup = false;
  #stopsHandedOver = false;
  #hangupsHandedOver = false;
  /** Stop signals before the hand-over: the third exits at once, as the run's own third does. */
  #stops = 0;
  #say: ((message: string) => void) | undefined;
  /** Those waiting in unlessInterrupted: each wakes on a stop signal, and on SIGHUP if it said so. */
  readonly #waiters = new Set<Waiter>();

  constructor() {
    process.on('SIGINT', this.#onStop);
    process.on('SIGTERM', this.#onStop);
    process.on('SIGHUP', this.#onHangup);
  }

  /** How the command tells its lines (text or --log-json), once it knows: a third stop signal before the hand-over is told so. */
  tellWith(say: (message: string) => void): void {
    this.#say = say;
  }

  /**
   * `work`, unless a stop signal comes first (or was there already), or a
   * SIGHUP with `endsOnHangup`: then the signal, at once, and `work` is left
   * to itself. A graph read from a named pipe or standard input waits for
   * its writer for as long as it takes (QA: SIGINT and SIGTERM did nothing
   * while it waited, only SIGKILL ended it); the command exits soon after,
   * which ends the read.
   */
  async unlessInterrupted<T>(work: Promise<T>, { endsOnHangup = false }: { readonly endsOnHangup?: boolean } = {}): Promise<{ readonly done: T } | { readonly interrupted: NodeJS.Signals }> {
    const already = this.stopSignal ?? (endsOnHangup && this.hangup ? 'SIGHUP' : undefined);
    if (already) return { interrupted: already };
    let waiter: Waiter | undefined;
    const interrupted = new Promise<NodeJS.Signals>((resolve) => {
      waiter = { hangup: endsOnHangup, resolve };
      this.#waiters.add(waiter);
    });
    try {
      return await Promise.race([work.then((done) => ({ done })), interrupted.then((signal) => ({ interrupted: signal }))]);
    } finally {
      if (waiter) this.#waiters.delete(waiter);
    }
  }

  /** The run's own stop handlers are in place: stop signals are theirs from now on. */
  handOverStops(): void {
    this.#stopsHandedOver = true;
  }

  /** The reloader listens (true) or has stopped (false): SIGHUP is its own while it listens, and ignored after. */
  handOverHangups(listening: boolean): void {
    this.#hangupsHandedOver = true;
    if (!listening) this.hangup = false;
  }

  close(): void {
    process.off('SIGINT', this.#onStop);
    process.off('SIGTERM', this.#onStop);
    process.off('SIGHUP', this.#onHangup);
  }

  /**
   * For a command that handles no signals of its own (validate, schema…):
   * Node's defaults again, and a signal that came while converge loaded is
   * acted on now, as it would have been without this.
   */
  release(): void {
    this.close();
    const pending = this.stopSignal ?? (this.hangup ? 'SIGHUP' : undefined);
    if (pending) process.kill(process.pid, pending);
  }

  readonly #onStop = (signal: NodeJS.Signals): void => {
    if (this.#stopsHandedOver) return;
    this.#stops++;
    this.stopSignal ??= signal;
    this.#wake(signal, false);
    if (this.#stops < 3) return;
    // As the run's third signal does: whatever is left (a wait for a reader of the output) is not waited for.
    this.#say?.(`${signal} a third time: exiting now`);
    process.exit(ExitCode.resourceFailed);
  };

  readonly #onHangup = (): void => {
    if (this.#hangupsHandedOver) return;
    this.hangup = true;
    this.#wake('SIGHUP', true);
  };

  #wake(signal: NodeJS.Signals, hangup: boolean): void {
    for (const waiter of this.#waiters) if (waiter.hangup || !hangup) waiter.resolve(signal);
  }
}

interface Waiter {
  readonly hangup: boolean;
  readonly resolve: (signal: NodeJS.Signals) => void;
}

let shared: EarlySignals | undefined;

/** The process's one EarlySignals, made (and listening) on first use: by the command's entry, before the rest is loaded. */
export function earlySignals(): EarlySignals {
  return (shared ??= new EarlySignals());
}
