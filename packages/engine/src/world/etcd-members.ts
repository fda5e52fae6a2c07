import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';

/** What one etcd member said of itself (see askMembers). */
export interface MemberAnswer {
  /** Its client URL, as given in the seeds. */
  readonly url: string;
  /** Whether it knows a leader; undefined when it did not answer. */
  readonly hasLeader: boolean | undefined;
}

/**
 * Asks each member directly for its status, which it answers by itself,
 * without a quorum, within `ms`: what a call that waits for a quorum cannot
 * tell, namely whether members are up but have no leader.
 */
export async function askMembers(urls: readonly string[], ms: number): Promise<MemberAnswer[]> {
  return Promise.all(
    urls.map(async (url) => {
      // A client of its own: the pool would pick any member, and retry.
      const client = new Etcd3({
        hosts: url,
        dialTimeout: ms,
        faultHandling: { host: () => noop, global: noop },
        defaultCallOptions: () => ({ deadline: Date.now() + ms }),
      });
      try {
        const status = await client.maintenance.status();
        return { url, hasLeader: status.leader !== '0' && status.leader !== '' };
      } catch {
        return { url, hasLeader: undefined };
      } finally {
        client.close();
      }
    }),
  );
}

/**
 * In words, when members answer but none has a leader (etcd then answers no
 * read or write: it has no quorum); undefined otherwise.
 */
export function noLeader(answers: readonly MemberAnswer[]): string | undefined {
  const answering = answers.filter((answer) => answer.hasLeader !== undefined);
  if (answering.length === 0 || answering.some((answer) => answer.hasLeader)) return undefined;
  const silent = answers.filter((answer) => answer.hasLeader === undefined).map((answer) => answer.url);
  const they = (urls: readonly string[], one: string, several: string): string => `${urls.join(', ')} ${urls.length === 1 ? one : several}`;
  return (
    `etcd has no leader, so no quorum: ${they(answering.map((answer) => answer.url), 'answers', 'answer')} but without a leader` +
    (silent.length > 0 ? `, ${they(silent, 'does not answer', 'do not answer')}` : '') +
    '; etcd reads and writes only while more than half of its members are up and reach each other'
  );
}
