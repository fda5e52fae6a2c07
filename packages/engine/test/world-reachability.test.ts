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
});
