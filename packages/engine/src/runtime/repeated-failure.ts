/**
 * Whether a failure that is retried or restarted is news for the log
 * (README: a failure is told again when its error differs, or after it
 * recovered): the first, one whose error differs from the one before it, or
 * the first after a recovery is a warning; the same one again is logged at
 * debug. A check retried without a delay, or a watch that flaps, fails many
 * times a second (QA: retry -1 with no delay logged 111 identical warnings
 * in 6 s).
 */
export class RepeatedFailure {
  #last: string | undefined;

  /** It failed with `message`: the level to log it at. */
  level(message: string): 'warn' | 'debug' {
    const repeated = message === this.#last;
    this.#last = message;
    return repeated ? 'debug' : 'warn';
  }

  /** It worked (or something was told in between): its next failure is news, whatever it says. */
  forget(): void {
    this.#last = undefined;
  }
}
