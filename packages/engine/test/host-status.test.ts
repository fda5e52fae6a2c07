import { describe, expect, it } from 'vitest';
import { clusterSettled, clusterWaitingFor, type HostStatus } from '../src/cluster/host-status.js';

const host = (name: string, extra: Partial<HostStatus> = {}): HostStatus => ({ host: name, converged: true, graph: 'g', resources: 1, failed: 0, time: '', ...extra });

describe('what the cluster waits for', () => {
  it('says nothing once the hosts have settled on one deploy', () => {
    const statuses = [host('a', { deploy: 1 }), host('b', { deploy: 1, failed: 1 })];
    expect(clusterSettled(statuses)).toBe(true);
    expect(clusterWaitingFor(statuses)).toBeUndefined();
  });

  it('names hosts on different graphs first: waiting never settles them', () => {
    const statuses = [host('hosta'), host('hostc', { deploy: 1, converged: false })];
    expect(clusterSettled(statuses)).toBe(false);
    expect(clusterWaitingFor(statuses)).toBe('the hosts run different graphs (hosta: its own graph file, hostc: deploy 1); they settle together only on one deploy');
  });

  it('counts an agent that has no graph yet (its deploy still loading) as not converged, not as running another graph (QA)', () => {
    const joining = host('w', { graph: undefined, converged: false });
    expect(clusterWaitingFor([joining, host('x', { deploy: 5 }), host('y', { deploy: 5 })])).toBe('not converged yet: w');
  });

  it('names the hosts not converged yet, and says when no host has spoken', () => {
    expect(clusterWaitingFor([host('a', { deploy: 2 }), host('b', { deploy: 2, converged: false }), host('c', { deploy: 2, graph: undefined })])).toBe('not converged yet: b, c');
    expect(clusterWaitingFor([])).toBe('no host has published its status yet');
  });
});
