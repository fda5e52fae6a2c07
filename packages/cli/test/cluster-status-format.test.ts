import { describe, expect, it } from 'vitest';
import type { HostStatus } from '@converge/engine';
import { formatStatuses } from '../src/commands/status.js';

// `converge status` prints what every host wrote to etcd: any of them could
// write a name, a graph path or a refusal reason with control characters.

describe('converge status lines', () => {
  it('escape what hosts published, so it cannot drive the terminal, split a line or shift a column', () => {
    const statuses: HostStatus[] = [
      { host: 'h1\u001b[2J', converged: false, graph: '/srv/g\n.yaml', resources: 3, failed: 0, time: '', refused: { deploy: 7, reason: 'line 3: noop[a\tb]: \u009b31m bad' } },
      { host: 'h2', converged: true, deploy: 6, graph: 'g.yaml', resources: 1, failed: 0, time: '' },
    ];
    const text = formatStatuses(statuses);
    expect(text).not.toMatch(/[\u001b\u009b]/);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('h1\\u001b[2J\tconverging\t/srv/g\\n.yaml\t3 resources\trefused deploy 7: line 3: noop[a\\tb]: \\u009b31m bad');
    expect(lines[0]?.split('\t')).toHaveLength(5);
    expect(lines[2]).toMatch(/^cluster: not converged \(.*h1\\u001b\[2J.*\)$/);
  });
});
