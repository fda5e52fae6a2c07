import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine, ResourceState, ResourceStatus } from '@converge/engine';
import type { LineSink } from './logging.js';
import type { Terminal } from './terminal.js';

/** The part of the engine the display reads. */
export type StatusSource = Pick<Engine, 'changes' | 'statuses' | 'onStatus'>;

/** At most this many redraws of the live line per second. */
const REDRAWS_PER_SECOND = 10;

const SUMMARY_STATES: readonly ResourceState[] = ['pending', 'running', 'converged', 'failed'];
const RARE_STATES: readonly ResourceState[] = ['blocked', 'stopped'];

/** `2 pending · 1 running · 5 converged · 0 failed` (blocked/stopped only when present). */
export function summarize(statuses: readonly ResourceStatus[]): string {
  const counts = new Map<ResourceState, number>();
  for (const status of statuses) {
    if (!status.hidden) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
  }
  const shown = [...SUMMARY_STATES, ...RARE_STATES.filter((state) => counts.has(state))];
  return shown.map((state) => `${counts.get(state) ?? 0} ${state}`).join(' · ');
}

/** What was last told about a resource, so nothing is told twice. */
export interface ReportedStatus {
  readonly state: ResourceState;
  readonly changes: number;
}

/**
 * One line per resource that reached a state worth telling: converged (the
 * first time, or again after it changed something), failed or blocked.
 * Updates `reported`; a re-check that found nothing to do stays silent.
 */
export function describeTransitions(reported: Map<string, ReportedStatus>, now: readonly ResourceStatus[]): string[] {
  return now.flatMap((status) => describeTransition(reported, status) ?? []);
}

/** The line for one resource's new status, if it is worth telling. */
export function describeTransition(reported: Map<string, ReportedStatus>, status: ResourceStatus): string | undefined {
  if (status.hidden) return undefined;
  const last = reported.get(status.id);
  let line: string | undefined;
  if (status.state === 'converged') {
    if (last?.state !== 'converged' || status.changes > last.changes) {
      const changed = status.changes > (last?.changes ?? 0);
      line = `${changed ? (status.noop ? 'would change' : 'changed') : 'converged'}: ${status.id}`;
    }
  } else if (status.state === 'failed' && last?.state !== 'failed') {
    line = `failed: ${status.id}${status.lastError ? `: ${status.lastError.message}` : ''}`;
  } else if (status.state === 'blocked' && last?.state !== 'blocked') {
    line = `blocked: ${status.id} (a resource it depends on failed)`;
  }
  if (line !== undefined) reported.set(status.id, { state: status.state, changes: status.changes });
  return line;
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
  readonly #reported = new Map<string, ReportedStatus>();
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
    for (const line of describeTransitions(this.#reported, this.#source.statuses())) this.#plain.write(`${line}\n`);
    this.#unsubscribe ??= this.#source.onStatus((status) => {
      const line = describeTransition(this.#reported, status);
      if (line !== undefined) this.#plain.write(`${line}\n`);
    });
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
