import { describe, expect, it } from 'vitest';
import { WorldReachability } from '../src/world/world-reachability.js';

describe('the world lost and found again', () => {
  it("warns once with the reason, without gRPC's empty 'Resolution note:' ending (QA: it ended every such warning)", () => {
    const lines: Array<[string, string, unknown]> = [];
    const log = (level: string) => (message: string, fields?: unknown) => void lines.push([level, message, fields]);
    const reachability = new WorldReachability({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, 'http://127.0.0.1:2379');
    reachability.succeeded();
    reachability.failed(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379. Resolution note: '));
    reachability.failed(new Error('again'));
    expect(lines).toEqual([
      ['warn', 'the world (etcd at http://127.0.0.1:2379) is unreachable; enforcing the last graph and retrying', { error: '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379' }],
    ]);
  });

  it('does not count an answer to a call begun before a failure as the world back (a reply in flight when members died)', () => {
    const lines: string[] = [];
    const log = (message: string): void => void lines.push(message);
    const reachability = new WorldReachability({ debug: log, info: log, warn: log, error: log }, 'http://127.0.0.1:2379');
    reachability.succeeded();
    const inFlight = reachability.begin();
    reachability.failed(new Error('too few of them for a quorum'));
    reachability.succeeded(inFlight);
    expect(reachability.reachable).toBe(false);
    expect(lines.filter((line) => line.includes('reachable again'))).toEqual([]);
    // A call begun after the failure that answers: back.
    reachability.succeeded(reachability.begin());
    expect(reachability.reachable).toBe(true);
    expect(lines.filter((line) => line.includes('reachable again'))).toHaveLength(1);
  });
});

