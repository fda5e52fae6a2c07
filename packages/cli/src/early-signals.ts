/**
 * Stop signals and SIGHUP for the whole of a `run`, including the parts
 * where its own handlers are not in place: while the graph loads and the
 * engine is made (a large graph takes seconds), and once the reloader has
 * stopped. Without a listener, Node's default ends the process at once
 * (exit 129, 130 or 143) with nothing said, no summary and a --tmp-prefix
 * folder left behind; a supervisor that sends SIGHUP right after writing
 * the graph would kill the agent.
 */
export class EarlySignals {
  /** The first stop signal that came before the run's own handlers took over. */
  stopSignal: NodeJS.Signals | undefined;
  /** A SIGHUP came before the reloader listened: reload once it does. */
  hangup = false;
  #stopsHandedOver = false;
  #hangupsHandedOver = false;

  constructor() {
    process.on('SIGINT', this.#onStop);
    process.on('SIGTERM', this.#onStop);
    process.on('SIGHUP', this.#onHangup);
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
    if (!this.#stopsHandedOver) this.stopSignal ??= signal;
  };

  readonly #onHangup = (): void => {
    if (!this.#hangupsHandedOver) this.hangup = true;
  };
}

let shared: EarlySignals | undefined;

/** The process's one EarlySignals, made (and listening) on first use: by the command's entry, before the rest is loaded. */
export function earlySignals(): EarlySignals {
  return (shared ??= new EarlySignals());
}
