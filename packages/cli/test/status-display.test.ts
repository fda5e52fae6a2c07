import type { ResourceStatus } from '@converge/engine';
import { EngineError } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { summarize, TransitionLines } from '../src/status-display.js';

const status = (id: string, state: ResourceStatus['state'], changes = 0, hidden = false): ResourceStatus => ({
  id,
  kind: id.slice(0, id.indexOf('[')),
  name: id.slice(id.indexOf('[') + 1, -1),
  state,
  hidden,
  noop: false,
  checks: 1,
  changes,
});

/** A status as the engine reports it after `checks` checkApply calls. */
const after = (checks: number, changes: number, state: ResourceStatus['state'], error?: string): ResourceStatus => ({
  ...status('exec[job]', state, changes),
  checks,
  ...(error === undefined ? {} : { lastError: new EngineError('ERR_RESOURCE_CHECK_APPLY', error, { resource: 'exec[job]' }) }),
});

/** The lines told for each status in turn. */
const tell = (lines: TransitionLines, statuses: readonly ResourceStatus[]): string[] =>
  statuses.flatMap((next) => lines.describe(next) ?? []);

describe('status display', () => {
  it('counts resources by state, leaving out hidden ones unless they failed (a failure is always told)', () => {
    const line = summarize([
      status('noop[a]', 'converged'),
      status('noop[b]', 'running'),
      status('noop[c]', 'converged'),
      status('noop[d]', 'failed', 0, true),
      status('noop[e]', 'converged', 0, true),
    ]);

    expect(line).toBe('0 pending · 1 running · 2 converged · 1 failed');
  });

  it('names blocked resources only when there are some', () => {
    expect(summarize([status('noop[a]', 'blocked')])).toBe('0 pending · 0 running · 0 converged · 0 failed · 1 blocked');
  });

  it('counts a noop resource that would change apart from the converged ones', () => {
    const wouldChange: ResourceStatus = { ...status('file[/b]', 'converged', 1), noop: true, wouldChange: true };
    expect(summarize([status('file[/a]', 'converged'), wouldChange])).toBe('0 pending · 0 running · 1 converged · 0 failed · 1 would change');
  });

  it('counts a resource whose watch is down, waiting to be restarted, apart from the converged ones (QA: counted as converged)', () => {
    const down: ResourceStatus = { ...status('exec[w]', 'converged', 1), watchDown: new EngineError('ERR_RESOURCE_WATCH', 'watchcmd exited') };
    expect(summarize([status('exec[v]', 'converged'), down])).toBe('0 pending · 0 running · 1 converged · 0 failed · 1 watch down');
  });

  it('tells each convergence once, and again only after a change', () => {
    const lines = new TransitionLines();

    expect(tell(lines, [status('file[x]', 'running')])).toEqual([]);
    expect(tell(lines, [status('file[x]', 'converged', 1)])).toEqual(['changed: file[x]']);
    // A re-check that found nothing to do is silent.
    expect(tell(lines, [status('file[x]', 'running', 1)])).toEqual([]);
    expect(tell(lines, [status('file[x]', 'converged', 1)])).toEqual([]);
    // Drift put back: told again.
    expect(tell(lines, [status('file[x]', 'converged', 2)])).toEqual(['changed: file[x]']);
  });

  it('keeps a name with a newline or an escape character on its one line', () => {
    const lines = new TransitionLines();
    expect(tell(lines, [status('file[/tmp/new\nline]', 'converged', 1)])).toEqual(['changed: file[/tmp/new\\nline]']);
    expect(tell(lines, [status('file[/tmp/\u001b[31mred]', 'failed')])).toEqual(['failed: file[/tmp/\\u001b[31mred]']);
  });

  it('says "would change" for a resource that is only checked (noop)', () => {
    const lines = new TransitionLines();
    const noop = { ...status('file[x]', 'converged', 1), noop: true };
    expect(tell(lines, [noop])).toEqual(['would change: file[x]']);
  });

  it('tells failures and blocked resources once each', () => {
    const lines = new TransitionLines();
    const now = [status('exec[a]', 'failed'), status('noop[b]', 'blocked'), status('noop[c]', 'converged')];

    expect(tell(lines, now)).toEqual([
      'failed: exec[a]',
      'blocked: noop[b] (a resource it depends on failed)',
      'converged: noop[c]',
    ]);
    expect(tell(lines, now)).toEqual([]);
  });

  it('tells the failure of a hidden resource, and nothing else of it', () => {
    const lines = new TransitionLines();
    expect(tell(lines, [status('exec[quiet]', 'converged', 1, true), status('exec[quiet]', 'blocked', 1, true)])).toEqual([]);
    expect(tell(lines, [status('exec[quiet]', 'failed', 1, true)])).toEqual(['failed: exec[quiet]']);
  });

  it('tells a failure again when its error changes, but not a re-check that fails the same way', () => {
    const lines = new TransitionLines();
    expect(tell(lines, [after(0, 0, 'running'), after(1, 0, 'failed', 'exit 3')])).toEqual(['failed: exec[job]: exit 3']);
    expect(tell(lines, [after(1, 0, 'running', 'exit 3'), after(2, 0, 'failed', 'exit 3')])).toEqual([]);
    expect(tell(lines, [after(2, 0, 'running', 'exit 3'), after(3, 0, 'failed', 'exit 4')])).toEqual(['failed: exec[job]: exit 4']);
    // A failure after a success is new, even with an error told before.
    expect(tell(lines, [after(3, 0, 'running', 'exit 4'), after(4, 1, 'converged')])).toEqual(['changed: exec[job]']);
    expect(tell(lines, [after(4, 1, 'running'), after(5, 1, 'failed', 'exit 4')])).toEqual(['failed: exec[job]: exit 4']);
  });

  it('tells everything anew about a resource that a graph swap replaced (its counts start again at 0)', () => {
    const lines = new TransitionLines();
    expect(tell(lines, [after(0, 0, 'running'), after(1, 0, 'failed', 'exit 3')])).toEqual(['failed: exec[job]: exit 3']);
    // Replaced, failing the same way: a failure after a swap is new.
    expect(tell(lines, [after(0, 0, 'running'), after(1, 0, 'failed', 'exit 3')])).toEqual(['failed: exec[job]: exit 3']);
    expect(tell(lines, [after(0, 0, 'running'), after(1, 1, 'converged')])).toEqual(['changed: exec[job]']);
    // Replaced again (params changed), and changing again: as many changes as before, but a new one.
    expect(tell(lines, [after(1, 1, 'stopped'), after(0, 0, 'running'), after(1, 1, 'converged')])).toEqual(['changed: exec[job]']);
    // Replaced by one that finds nothing to do.
    expect(tell(lines, [after(1, 1, 'stopped'), after(0, 0, 'running'), after(1, 0, 'converged')])).toEqual(['converged: exec[job]']);
  });

  it('tells a replacement that fails before any check (in init) once', () => {
    const lines = new TransitionLines();
    const failed = after(0, 0, 'failed', 'no such user');
    expect(tell(lines, [failed, failed])).toEqual(['failed: exec[job]: no such user']);
    expect(tell(lines, [after(0, 0, 'failed', 'no such user')])).toEqual(['failed: exec[job]: no such user']);
  });

  it('says "would change" once while a noop resource stays so', () => {
    const lines = new TransitionLines();
    // Every check would change it.
    const noop = (checks: number, state: ResourceStatus['state']): ResourceStatus => ({
      ...status('file[/d/]', state, checks),
      checks,
      noop: true,
    });
    expect(tell(lines, [noop(0, 'running'), noop(1, 'converged')])).toEqual(['would change: file[/d/]']);
    // Checked again for each file in it: nothing new to say.
    expect(tell(lines, [noop(1, 'running'), noop(2, 'converged'), noop(2, 'running'), noop(3, 'converged')])).toEqual([]);
  });
});
