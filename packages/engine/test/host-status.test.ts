import { describe, expect, it } from 'vitest';
import { clusterConverged, clusterSettled, clusterWaitingFor, encodeHostStatus, statusesFrom, type HostStatus } from '../src/cluster/host-status.js';

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

  it('counts a host that refused the deploy (it runs the one before, or none) as settled on it but never converged, and names it (QA: "h1 converged deploy 7", "cluster: converged", though no host could load deploy 7)', () => {
    const refused = { deploy: 7, reason: "line 4: motd[m]: no installed plugin provides kind 'motd'" };
    const keepsOld = host('h1', { deploy: 5, graph: 'd5', refused });
    const none = host('h4', { graph: undefined, converged: false, resources: 0, refused });
    const [read] = statusesFrom([encodeHostStatus(keepsOld)]);
    expect(read?.refused).toEqual(refused);
    expect(clusterConverged([keepsOld])).toBe(false);
    expect(clusterSettled([keepsOld])).toBe(true);
    expect(clusterWaitingFor([keepsOld])).toBe('h1 refused deploy 7');
    // Others that run it: settled together, not converged; not "different graphs".
    const runsIt = host('h2', { deploy: 7 });
    expect(clusterSettled([keepsOld, none, runsIt])).toBe(true);
    expect(clusterConverged([keepsOld, none, runsIt])).toBe(false);
    expect(clusterWaitingFor([keepsOld, none, runsIt, host('h3', { deploy: 7, converged: false })])).toBe('h1 refused deploy 7, h4 refused deploy 7; not converged yet: h3');
    // A later deploy that the others run: the refusal of an older one is a different graph.
    expect(clusterWaitingFor([keepsOld, host('h2', { deploy: 8 })])).toBe('the hosts run different graphs (h1: refused deploy 7, h2: deploy 8); they settle together only on one deploy');
  });
});
