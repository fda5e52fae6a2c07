import { distinctLine, safeText } from './terminal-text.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine, ResourceState, ResourceStatus } from '@converge/engine';
import type { LineSink } from './logging.js';
import { shownState, type ShownState } from './shown-state.js';
import { StatusHistory } from './status-history.js';
import type { Terminal } from './terminal.js';

/** The part of the engine the display reads. */
export type StatusSource = Pick<Engine, 'changes' | 'statuses' | 'onStatus'>;

/** At most this many redraws of the live line per second. */
const REDRAWS_PER_SECOND = 10;

const SUMMARY_STATES: readonly ResourceState[] = ['pending', 'running', 'converged', 'failed'];
const RARE_STATES: readonly ResourceState[] = ['blocked', 'stopped'];

/**
 * `2 pending · 1 running · 5 converged · 0 failed` (would change, watch
 * down, blocked and stopped only when present). In noop, a resource that
 * would change is counted as such, not as converged: the machine is not as
 * the graph says; nor is one whose watch is down, waiting to be restarted.
 */
export function summarize(statuses: readonly ResourceStatus[]): string {
  const counts = new Map<ShownState, number>();
  for (const status of statuses) {
    const bucket = shownState(status);
    // A hidden resource that failed is counted: its failure is told (and sets the exit code) all the same.
    if (!status.hidden || status.state === 'failed') counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const rare: readonly ShownState[] = ['would change', 'watch down', ...RARE_STATES];
  const shown: ShownState[] = [...SUMMARY_STATES, ...rare.filter((bucket) => counts.has(bucket))];
  return shown.map((bucket) => `${counts.get(bucket) ?? 0} ${bucket}`).join(' · ');
}

/** What was last told about a resource; `failed` keeps the error told. */
type Told = { readonly line: 'converged' | 'changed' | 'would change' | 'blocked' } | { readonly line: 'failed'; readonly error: string };

/**
 * Turns resources' statuses, one engine status event after another, into
 * the lines worth telling: converged (the first time, or again after a
 * failure), every change, every new failure (another error, or a failure
 * after a success or after a graph swap replaced the resource) and blocked.
 * A re-check that found nothing to do stays silent, and so does a re-check
 * in noop that would still make the change it already told of.
 */
export class TransitionLines {
  readonly #history = new StatusHistory();
  readonly #told = new Map<string, Told>();

  /** Its next status is told whatever was told before (its dry-run diff was printed again). */
  tellAgain(id: string): void {
    this.#told.delete(id);
  }

  /** The line for one resource's new status, if it is worth telling. */
  describe(status: ResourceStatus): string | undefined {
    const { replaced, changed } = this.#history.step(status);
    if (replaced) this.#told.delete(status.id);
    // Hidden resources are not told of, except a failure (README: a failure of it is still told).
    if (status.hidden && status.state !== 'failed') return undefined;
    const told = this.#told.get(status.id);
    let next: Told | undefined;
    if (status.state === 'converged') {
      if (!changed) {
        if (told?.line !== 'converged' && told?.line !== 'changed') next = { line: 'converged' };
      } else if (!status.noop) {
        next = { line: 'changed' };
      } else if (told?.line !== 'would change') {
        // Noop changes nothing: a resource that would change stays so, told once rather than on every re-check.
        next = { line: 'would change' };
      }
    } else if (status.state === 'failed') {
      const error = status.lastError?.message ?? '';
      if (told?.line !== 'failed' || told.error !== error) next = { line: 'failed', error };
    } else if (status.state === 'blocked' && told?.line !== 'blocked') {
      next = { line: 'blocked' };
    }
    if (next === undefined) return undefined;
    this.#told.set(status.id, next);
    const id = distinctLine(status.id);
    switch (next.line) {
      case 'failed':
        return `failed: ${id}${next.error ? `: ${safeText(next.error)}` : ''}`;
      case 'blocked':
        return `blocked: ${id} (a resource it depends on failed)`;
      default:
        return `${next.line}: ${id}`;
    }
  }
}


/**
 * Shows progress while the engine runs: on a terminal a live line of counts,
 * redrawn when any status changes; otherwise a plain line per resource that
 * converges, changes, fails or is blocked (for logs and CI).
 */
export class StatusDisplay {
  readonly #source: StatusSource;
  readonly #live: Terminal | undefined;
  readonly #plain: LineSink;
  readonly #stopController = new AbortController();
  readonly #lines = new TransitionLines();
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  /** `live` is the terminal to draw on, or undefined for plain lines on `plain`. */
  constructor(source: StatusSource, live: Terminal | undefined, plain: LineSink) {
    this.#source = source;
    this.#live = live;
    this.#plain = plain;
  }

  start(): void {
    if (this.#live) {
      this.#loop ??= this.#follow(this.#stopController.signal);
      return;
    }
    // Plain lines follow each resource's transitions one by one: O(1) per
    // change, where rescanning every status per change would be quadratic.
    if (this.#unsubscribe) return;
    const tell = (status: ResourceStatus): void => {
      const line = this.#lines.describe(status);
      if (line !== undefined) this.#plain.write(`${line}\n`);
    };
    for (const status of this.#source.statuses()) tell(status);
    this.#unsubscribe = this.#source.onStatus(tell);
  }

  /** A resource's next status line is told even if it says what was told last (its dry-run diff was printed again). */
  tellAgain(id: string): void {
    this.#lines.tellAgain(id);
  }

  /**
   * A line about the run that is not a resource's status (a reversal): in
   * plain mode on the same stream as the status lines; on a terminal the
   * log line above the live status says it already.
   */
  tell(line: string): void {
    if (!this.#live) this.#plain.write(`${line}\n`);
  }

  /** Draws the final state and stops following; the live line is removed. */
  async stop(): Promise<void> {
    this.#stopController.abort();
    this.#unsubscribe?.();
    await this.#loop;
    if (this.#live) this.#live.setStatus('');
  }

  /** The live line: redrawn on changes, at most REDRAWS_PER_SECOND times a second. */
  async #follow(signal: AbortSignal): Promise<void> {
    const live = this.#live;
    if (!live) return;
    const watcher = this.#source.changes.watch();
    try {
      live.setStatus(summarize(this.#source.statuses()));
      for (;;) {
        await watcher.next(signal);
        live.setStatus(summarize(this.#source.statuses()));
        await sleep(1000 / REDRAWS_PER_SECOND, undefined, { signal });
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      watcher.close();
    }
  }
}
