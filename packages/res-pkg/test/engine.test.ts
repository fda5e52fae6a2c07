import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestEngine } from '@converge/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { pkgResource } from '../src/index.js';
import { aptGet, eventually, installedVersion, packageKitAvailable } from './helpers.js';

// Packages of their own, so that this file can run beside the others.
const WATCHED = 'tree';
const CLI_PACKAGE = 'rolldice';
/** Upgraded to its candidate by the CLI graph when an update is offered (else already newest). */
const UPGRADED = 'jq';
/** Only checked, in a dry run: never installed. */
const DRY_RUN_ONLY = 'oneko';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/dist/bin.js');

const run = promisify(execFile);
const available = await packageKitAvailable();

/** The version apt would install (its candidate). */
async function candidateVersion(name: string): Promise<string | undefined> {
  const { stdout } = await run('apt-cache', ['policy', name]);
  return /Candidate: (\S+)/.exec(stdout)?.[1];
}

function runCli(graph: string, ...flags: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, 'run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', ...flags, graph], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!available)('pkg in the engine', () => {
  afterAll(async () => {
    for (const name of [WATCHED, CLI_PACKAGE]) if (await installedVersion(name)) await aptGet('remove', name);
  }, 120_000);

  it('refreshes what it notifies right after its change, with no second check for its own dpkg writes, and puts back a package removed outside converge', async () => {
    if (await installedVersion(WATCHED)) {
      await aptGet('remove', WATCHED);
      // apt's DPkg::Post-Invoke hook has PackageKit say UpdatesChanged about 2 s later: not during the first check.
      await sleep(3_000);
    }
    const running = await startTestEngine({
      resources: [pkgResource],
      yaml: `
graph: packages
resources:
  pkg:
  - name: ${WATCHED}
    state: installed
  noop:
  - name: after-${WATCHED}
edges:
- {from: {kind: pkg, name: ${WATCHED}}, to: {kind: noop, name: after-${WATCHED}}, notify: true}
`,
    });
    // The pkg's and the noop's checks, in order; a change of the pkg is "changed".
    const checks: string[] = [];
    const unsubscribe = running.engine.onEvent((event) => {
      if (event.type === 'checkApply') checks.push(event.converged ? event.id : `${event.id} changed`);
    });
    /** The checks after the pkg's last change. */
    const afterChange = () => {
      const changed = checks.lastIndexOf(`pkg[${WATCHED}] changed`);
      return changed < 0 ? [] : checks.slice(changed + 1);
    };
    try {
      await running.waitConverged(90_000);
      expect(running.status(`pkg[${WATCHED}]`)?.state).toBe('converged');
      expect(await installedVersion(WATCHED)).toMatch(/^\d/);
      // The noop's refresh came first (QA: a second check of the pkg, a
      // whole Resolve, came between, for the pkg's own writes of dpkg's status).
      expect(checks).toContain(`pkg[${WATCHED}] changed`);
      expect(afterChange()[0]).toBe(`noop[after-${WATCHED}]`);

      checks.length = 0;
      await aptGet('remove', WATCHED);
      expect(await installedVersion(WATCHED)).toBeUndefined();
      // The dpkg watch notices within seconds: another program's change is
      // not taken for its own. The engine then reinstalls it (a resolve and
      // an install: about 6 s here).
      await eventually(async () => (await installedVersion(WATCHED)) !== undefined, 30_000);
      await running.waitConverged(60_000);
      expect(running.status(`pkg[${WATCHED}]`)?.state).toBe('converged');
      // Refreshed again, though maybe after one more check: apt-get was still
      // writing dpkg's status when the check it started began.
      expect(afterChange()).toContain(`noop[after-${WATCHED}]`);
    } finally {
      unsubscribe();
      await running.stop();
    }
  }, 180_000);

  it('installs, upgrades and removes packages from a YAML graph through the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'res-pkg-cli-'));
    try {
      const graph = (state: string) => `graph: cli-packages
resources:
  pkg:
  - name: ${CLI_PACKAGE}
    state: ${state}
  - name: ${UPGRADED}
    state: newest
`;
      await writeFile(join(dir, 'install.yaml'), graph('installed'));
      await writeFile(join(dir, 'remove.yaml'), graph('uninstalled'));

      const installed = await runCli(join(dir, 'install.yaml'));
      expect(installed.code, installed.output).toBe(0);
      expect(await installedVersion(CLI_PACKAGE)).toMatch(/^\d/);
      expect(await installedVersion(UPGRADED)).toBe(await candidateVersion(UPGRADED));

      const removed = await runCli(join(dir, 'remove.yaml'));
      expect(removed.code, removed.output).toBe(0);
      expect(await installedVersion(CLI_PACKAGE)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("tells a group's lines as the members they are about, not as its first, misspelt one (QA: pkg[typo]: packages would change)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'res-pkg-cli-'));
    try {
      const typos = ['converge-no-such-pkg-a', 'converge-no-such-pkg-b'];
      const graph = join(dir, 'group.yaml');
      await writeFile(graph, `graph: typo-first\nresources:\n  pkg:\n${[typos[0], DRY_RUN_ONLY, typos[1]].map((name) => `  - name: ${name}\n`).join('')}`);
      const result = await runCli(graph, '--noop', '--log-json');
      expect(result.code, result.output).toBe(1);
      const lines = result.output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { resource?: string; resources?: string[]; members?: unknown; msg: string });
      const about = (msg: string) => lines.filter((line) => line.msg === msg).map(({ resource, resources, members }) => ({ resource, resources, members }));
      expect(about('packages would change (1 of a group of 3)'), result.output).toEqual([{ resource: `pkg[${DRY_RUN_ONLY}]`, resources: undefined, members: undefined }]);
      expect(about(`would change (noop), for the members that did not fail: pkg[${DRY_RUN_ONLY}]`)).toEqual([{ resource: `pkg[${DRY_RUN_ONLY}]`, resources: undefined, members: undefined }]);
      const failure = typos.map((name) => `package ${name} is not known to PackageKit`).join('; ');
      // The failure's log line (the summary repeats it after).
      expect(about(failure)[0]).toEqual({ resource: `pkg[${typos[0]}]`, resources: typos.map((name) => `pkg[${name}]`), members: undefined });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
