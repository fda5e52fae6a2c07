import { setTimeout as sleep } from 'node:timers/promises';
import type { EtcdWorld } from '@converge/engine';

/** How long a command waits for etcd before it first asks the members how they stand (a call answers in milliseconds). */
const FIRST_LOOK_MS = 500;
/** Between two looks; also how long a member may take to answer one (a hung one never does). */
const LOOK_EVERY_MS = 1000;

/**
 * The answer of a one-shot command's calls to etcd (deploy, status,
 * retire). A call that gets none is retried by the etcd client for about
 * 15 s (QA: that long without a word, then DEADLINE_EXCEEDED, when one
 * member answered but the others were stopped). Half a second without an
 * answer, and each second after, the members are asked directly: when
 * those that answer have no leader at two looks in a row (not an election
 * under way), it fails with that reason; when none answers at the third
 * look, it says it waits.
 */
export async function etcdAnswer<T>(world: EtcdWorld, call: () => Promise<T>, seeds: readonly string[], say: (message: string) => void): Promise<T> {
  const answered = new AbortController();
  const calling = call().finally(() => answered.abort());
  const lookMeanwhile = async (): Promise<T> => {
    let leaderless = 0;
    for (let look = 1; ; look++) {
      try {
        await sleep(look === 1 ? FIRST_LOOK_MS : LOOK_EVERY_MS, undefined, { signal: answered.signal });
      } catch {
        return calling;
      }
      const members = await world.askMembers(LOOK_EVERY_MS);
      if (answered.signal.aborted) return calling;
      leaderless = members.noLeader === undefined ? 0 : leaderless + 1;
      if (members.noLeader !== undefined && leaderless >= 2) throw new Error(members.noLeader);
      if (look === 3 && members.answered === 0) say(`waiting for etcd at ${seeds.join(',')}: no member answers (stopped, hung, or cut off); Ctrl-C stops`);
    }
  };
  return Promise.race([calling, lookMeanwhile()]);
}
