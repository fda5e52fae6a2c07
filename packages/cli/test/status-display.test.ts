import type { ResourceStatus } from '@converge/engine';
import { describe, expect, it } from 'vitest';
import { describeTransitions, summarize, type ReportedStatus } from '../src/status-display.js';

const status = (id: string, state: ResourceStatus['state'], changes = 0, hidden = false): ResourceStatus => ({
  id,
  kind: id.slice(0, id.indexOf('[')),
  name: id.slice(id.indexOf('[') + 1, -1),
  state,
  hidden,
  checks: 1,
  changes,
});

describe('status display', () => {
  it('counts resources by state, leaving out hidden ones', () => {
    const line = summarize([
      status('noop[a]', 'converged'),
      status('noop[b]', 'running'),
      status('noop[c]', 'converged'),
      status('noop[d]', 'failed', 0, true),
    ]);

    expect(line).toBe('0 pending · 1 running · 2 converged · 0 failed');
  });

  it('names blocked resources only when there are some', () => {
    expect(summarize([status('noop[a]', 'blocked')])).toBe('0 pending · 0 running · 0 converged · 0 failed · 1 blocked');
  });

  it('tells each convergence once, and again only after a change', () => {
    const reported = new Map<string, ReportedStatus>();

    expect(describeTransitions(reported, [status('file[x]', 'running')])).toEqual([]);
    expect(describeTransitions(reported, [status('file[x]', 'converged', 1)])).toEqual(['changed: file[x]']);
    // A re-check that found nothing to do is silent.
    expect(describeTransitions(reported, [status('file[x]', 'running', 1)])).toEqual([]);
    expect(describeTransitions(reported, [status('file[x]', 'converged', 1)])).toEqual([]);
    // Drift put back: told again.
    expect(describeTransitions(reported, [status('file[x]', 'converged', 2)])).toEqual(['changed: file[x]']);
  });

  it('says "would change" for a resource that is only checked (noop)', () => {
    const reported = new Map<string, ReportedStatus>();
    const noop = { ...status('file[x]', 'converged', 1), noop: true };
    expect(describeTransitions(reported, [noop])).toEqual(['would change: file[x]']);
  });

  it('tells failures and blocked resources once each', () => {
    const reported = new Map<string, ReportedStatus>();
    const now = [status('exec[a]', 'failed'), status('noop[b]', 'blocked'), status('noop[c]', 'converged')];

    expect(describeTransitions(reported, now)).toEqual([
      'failed: exec[a]',
      'blocked: noop[b] (a resource it depends on failed)',
      'converged: noop[c]',
    ]);
    expect(describeTransitions(reported, now)).toEqual([]);
  });
});
