import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyResourceDefinition } from '@converge/engine-api';
import { builtinResources, memoryKindResolver, parseGraphYaml, resolveGraph, type ResolvedGraph } from '@converge/engine';
import { execResource } from '@converge/res-exec';
import { startTestEngine, type TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { tempDir } from './helpers.js';

// 1,000 graph swaps of real file resources, each swap also replacing an exec
// whose watchcmd is a real long-running child: every swap restarts those
// resources (watch closed, cleanup, new instance, new watch). Open fds,
// inotify watches, active handles and child processes are counted before
// and after, from /proc and Node.

const SWAPS = 1_000;
const FILES = 2;

let dir: string;
let remove: () => Promise<void>;
let running: TestEngine | undefined;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await remove();
});

interface Usage {
  readonly fds: number;
  readonly inotifyWatches: number;
  readonly handles: Readonly<Record<string, number>>;
  readonly children: number;
}

function usage(): Usage {
  const fds = readdirSync('/proc/self/fd');
  let inotifyWatches = 0;
  for (const fd of fds) {
    const info = (() => {
      try {
        return readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
      } catch {
        return ''; // closed between the listing and the read
      }
    })();
    inotifyWatches += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  const handles: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) handles[name] = (handles[name] ?? 0) + 1;
  return { fds: fds.length, inotifyWatches, handles, children: childPids().length };
}

/** Pids whose parent is this process. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 2nd field after the parenthesised command name.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

const pathOf = (index: number): string => join(dir, `leak${index}`);

function graph(version: number): string {
  const lines = ['graph: leaks', 'resources:', '  file:'];
  for (let index = 0; index < FILES; index++) {
    lines.push(`  - name: ${pathOf(index)}`, '    state: exists', `    content: "version ${version}\\n"`);
  }
  // A changed watchcmd replaces the exec: its old `sleep` child must go.
  lines.push('  exec:', '  - name: watcher', '    cmd: /bin/true', `    watchcmd: sleep ${1000 + (version % 2)}`, '    ifcmd: /bin/false');
  return `${lines.join('\n')}\n`;
}

const KINDS = [...builtinResources, fileResource, execResource] as unknown as readonly AnyResourceDefinition[];

function resolve(version: number): Promise<ResolvedGraph> {
  return resolveGraph(parseGraphYaml(graph(version), 'leaks.yaml'), memoryKindResolver(KINDS));
}

/**
 * Usage once short-lived timers have run out and fs requests already queued
 * have drained: on a loaded CI machine, the thread pool can still be working
 * through the last swap's requests for a while, and the watcher's events for
 * the last writes (whose checks find nothing to do, so the graph counts as
 * converged meanwhile) may still be coming in. A leak
 * keeps the counts up, so this waits at most 10 s.
 */
async function settledUsage(baseline?: Usage): Promise<Usage> {
  await sleep(200);
  const settled = (now: Usage): boolean =>
    (now.handles['FSReqPromise'] ?? 0) <= 3 && (baseline === undefined || (now.handles['Timeout'] ?? 0) <= (baseline.handles['Timeout'] ?? 0) + 3);
  for (let waited = 0; waited < 10_000 && !settled(usage()); waited += 100) await sleep(100);
  return usage();
}

function expectNoGrowth(before: Usage, after: Usage): void {
  const context = JSON.stringify({ before, after });
  expect(after.fds, context).toBeLessThanOrEqual(before.fds + 4);
  expect(after.inotifyWatches, context).toBeLessThanOrEqual(before.inotifyWatches + 4);
  expect(after.children, context).toBeLessThanOrEqual(before.children);
  const total = (usage: Usage): number => Object.values(usage.handles).reduce((sum, count) => sum + count, 0);
  expect(total(after), context).toBeLessThanOrEqual(total(before) + 4);
  for (const [name, count] of Object.entries(after.handles)) {
    expect(count, `${name}: ${context}`).toBeLessThanOrEqual((before.handles[name] ?? 0) + 3);
  }
}

describe('1,000 graph swaps and resource restarts', () => {
  it('leak no fd, inotify watch, handle or child process', async () => {
    running = await startTestEngine({ resources: [fileResource, execResource], yaml: graph(0) });
    await running.waitConverged(20_000);
    // Warm up: the first swaps load code and open what stays open (the state dir's files).
    for (let version = 1; version <= 4; version++) {
      await running.engine.swap(await resolve(version));
      await running.waitConverged(20_000);
    }
    // The warm-up swaps' own read throttles (1 s) run out first: not part of the baseline.
    await sleep(1_200);
    const before = await settledUsage();
    expect(before.children).toBe(1); // the exec's watchcmd
    expect(before.inotifyWatches).toBeGreaterThan(0);

    for (let version = 5; version < 5 + SWAPS; version++) {
      await running.engine.swap(await resolve(version));
      // Mostly swapping while the last graph is still being applied (the
      // swap waits for running checkApply calls), sometimes after it settled.
      if (version % 50 === 0) await running.waitConverged(20_000);
    }
    await running.waitConverged(20_000);
    const last = 4 + SWAPS;
    for (let index = 0; index < FILES; index++) {
      expect(await readFile(pathOf(index), 'utf8')).toBe(`version ${last}\n`);
    }
    expectNoGrowth(before, await settledUsage(before));

    await running.stop();
    running = undefined;
    const stopped = usage();
    expect(stopped.children).toBe(0);
    expect(stopped.inotifyWatches).toBeLessThan(before.inotifyWatches);
  }, 120_000);
});
