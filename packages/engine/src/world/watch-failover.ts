import type { Logger } from '@converge/engine-api';
import type { StreamEvents } from './etcd-liveness.js';

/**
 * Tells once that the world's watch stream dropped and where it resumed. Every
 * watch of a world shares that one stream, and until it is back each failed
 * reconnection fails them all again: this says it once per drop, when a stream
 * answers again. Losing etcd as a whole is WorldReachability's to tell.
 */
export class WatchFailover implements StreamEvents {
  readonly #log: Logger;
  #drop: { readonly at: number; readonly peer: string; readonly details: string } | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  dropped(peer: string, details: string): void {
    this.#drop ??= { at: Date.now(), peer, details };
  }

  answered(peer: string): void {
    const drop = this.#drop;
    if (!drop) return;
    this.#drop = undefined;
    const seconds = ((Date.now() - drop.at) / 1000).toFixed(1);
    const where = peer === drop.peer ? 'through it again' : `through etcd member ${peer}`;
    // A hung member's stream drops only once keepalive gives up on it; a dead
    // one's at once; one without a leader's when etcd says so (requireLeader).
    const why = /no leader/.test(drop.details) ? 'it has no leader: cut off from the other members, or they lost their quorum' : 'it died or stopped answering';
    this.#log.info(
      `the world's watches lost their stream through etcd member ${drop.peer} (${why}); they resumed ${where} ${seconds} s later, from the last change they saw`,
      { error: drop.details.replace(/\.?\s*Resolution note:\s*$/, '') },
    );
  }
}
