import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import type { EngineError } from '@converge/engine-api';
import { runCase } from '@converge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageKitClient, pkgResource } from '../src/index.js';
import type { PkgParams } from '../src/index.js';
import { aptGet, dpkgAudit, eventually, installedVersion, makePkg, packageKitAvailable } from './helpers.js';
import { buildProbe } from './private-dpkg.js';

// Small packages whose dependencies every Debian system already has.
const SINGLE = 'hello';
const GROUP = ['sl', 'cmatrix', 'ninvaders', 'sysvbanner'];
// jq is left to engine.test.ts, which upgrades it from a YAML graph.
const UPGRADE_CANDIDATES = ['zip', 'unzip'];
/** Checked in dry runs, and installed and removed behind the resource's back. */
const DRY_RUN = 'nyancat';

const available = await packageKitAvailable();

/** Runs a command to its end; rejects on a non-zero exit. */
async function runCommand(file: string, args: readonly string[]): Promise<void> {
  const child = spawn(file, args, { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${String(code)}`);
}
const DPKG_LOG = '/var/log/dpkg.log';

async function checkApplyError(params: PkgParams): Promise<EngineError> {
  const { instance, harness, signal } = await makePkg(params);
  try {
    await instance.checkApply(true, signal);
  } catch (error) {
    if (isEngineError(error)) return error;
    throw error;
  } finally {
    instance.cleanup();
    await harness.dispose();
  }
  throw new Error('checkApply did not fail');
}

async function removeIfInstalled(names: string[]): Promise<void> {
  const present: string[] = [];
  for (const name of names) if (await installedVersion(name)) present.push(name);
  if (present.length > 0) await aptGet('remove', ...present);
}

describe.skipIf(!available)('pkg against the real PackageKit', () => {
  beforeAll(() => removeIfInstalled([SINGLE, ...GROUP]), 120_000);
  afterAll(() => removeIfInstalled([SINGLE, ...GROUP]), 120_000);

  it('installs a package, is then converged, and changes nothing with apply=false', async () => {
    const { instance, harness, signal } = await makePkg({ package: SINGLE });
    expect(await instance.checkApply(false, signal)).toBe(false);
    // The dry run's description names the package, the version it would get and the architecture.
    expect(await instance.describeChange()).toMatch(new RegExp(`^install ${SINGLE} \\d\\S* \\((amd64|arm64|all|i386)\\)$`));
    expect(await installedVersion(SINGLE)).toBeUndefined();
    instance.cleanup();
    await harness.dispose();

    await runCase(pkgResource, {
      name: SINGLE,
      params: {},
      expect: 'diverged',
      verify: async () => expect(await installedVersion(SINGLE)).toMatch(/^\d/),
    });
  }, 90_000);

  it('accepts the installed exact version and newest when up to date, and refuses versions not offered', async () => {
    const version = await installedVersion(SINGLE);
    await runCase(pkgResource, { name: SINGLE, params: { state: version }, expect: 'converged' });
    await runCase(pkgResource, { name: SINGLE, params: { state: 'newest' }, expect: 'converged' });
    const error = await checkApplyError({ package: SINGLE, state: '9.9-9' });
    expect(error.message).toBe(`version 9.9-9 of package ${SINGLE} is not available (PackageKit offers ${version} (installed))`);
    expect(error.resource).toBe(`pkg[${SINGLE}]`);
    expect(error.hint).toContain('apt-cache policy');
  }, 60_000);

  it('upgrades to the newest version when an update is offered', async () => {
    const client = await PackageKitClient.connect();
    const updates = await client.updates(0n).finally(() => client.close());
    const name = UPGRADE_CANDIDATES.find((candidate) => updates.some((ref) => ref.name === candidate));
    if (!name) {
      // Nothing to upgrade on this machine: newest must then be converged for all of them.
      for (const candidate of UPGRADE_CANDIDATES.filter((c) => updates.every((ref) => ref.name !== c))) {
        if (await installedVersion(candidate)) await runCase(pkgResource, { name: candidate, params: { state: 'newest' }, expect: 'converged' });
      }
      return;
    }
    const before = await installedVersion(name);
    const target = updates.find((ref) => ref.name === name)?.version;
    await runCase(pkgResource, {
      name,
      params: { state: 'newest' },
      expect: 'diverged',
      verify: async () => {
        const after = await installedVersion(name);
        expect(after).not.toBe(before);
        expect(after).toBe(target);
      },
    });
  }, 120_000);

  it('removes a package', async () => {
    await runCase(pkgResource, {
      name: SINGLE,
      params: { state: 'uninstalled' },
      expect: 'diverged',
      verify: async () => expect(await installedVersion(SINGLE)).toBeUndefined(),
    });
  }, 90_000);

  it('sees a package installed from no archive (a local .deb): installed is converged, uninstalled removes it (QA: it looked uninstalled)', async () => {
    const local = 'converge-local-probe';
    const dir = await mkdtemp(join(tmpdir(), 'converge-local-deb-'));
    try {
      const deb = await buildProbe(join(dir, 'build'), local);
      await runCommand('dpkg', ['-i', deb]);
      expect(await installedVersion(local)).toBe('1.0');
      await runCase(pkgResource, { name: local, params: { state: 'installed' }, expect: 'converged' });
      await runCase(pkgResource, { name: local, params: { state: 'newest' }, expect: 'converged' });
      await runCase(pkgResource, {
        name: local,
        params: { state: 'uninstalled' },
        expect: 'diverged',
        verify: async () => expect(await installedVersion(local)).toBeUndefined(),
      });
    } finally {
      if (await installedVersion(local)) await runCommand('dpkg', ['-r', local]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('fails clearly for an unknown package', async () => {
    const error = await checkApplyError({ package: 'no-such-package-converge' });
    expect(error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(error.message).toBe('package no-such-package-converge is not known to PackageKit');
    expect(error.hint).toContain('pkcon refresh');
  });

  it('fails for an unknown package to be uninstalled, naming it (QA: a misspelt name converged)', async () => {
    const error = await checkApplyError({ package: 'dos2unixx', state: 'uninstalled' });
    expect(error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(error.resource).toBe('pkg[dos2unixx]');
    expect(error.message).toBe('package dos2unixx is not known to PackageKit');
    expect(error.hint).toContain('check the name');
    // Of the archive but not installed: duly uninstalled.
    await runCase(pkgResource, { name: 'dos2unix', params: { state: 'uninstalled' }, expect: 'converged' });
  });

  it('takes a package of no archive that dpkg still has (removed, its config files left: rc) for uninstalled, and fails once it is purged', async () => {
    const local = 'converge-rc-probe';
    const dir = await mkdtemp(join(tmpdir(), 'converge-rc-deb-'));
    try {
      const deb = await buildProbe(join(dir, 'build'), local, { conffile: true });
      await runCommand('dpkg', ['-i', deb]);
      await runCommand('dpkg', ['-r', local]);
      expect(await installedVersion(local)).toBeUndefined();
      await runCase(pkgResource, { name: local, params: { state: 'uninstalled' }, expect: 'converged' });
      await runCommand('dpkg', ['--purge', local]);
      expect((await checkApplyError({ package: local, state: 'uninstalled' })).message).toBe(`package ${local} is not known to PackageKit`);
    } finally {
      await runCommand('dpkg', ['--purge', local]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('in a dry run, says what would change once, not again at each check, until that changes (QA: a --noop daemon said it on every dpkg event)', async () => {
    if (await installedVersion(DRY_RUN)) await aptGet('remove', DRY_RUN);
    const { instance, harness, signal } = await makePkg({ package: DRY_RUN });
    const told = () => harness.logs().filter((line) => line.message === 'packages would change').length;
    try {
      // Each dpkg status event checks again: the same plan is not news.
      expect(await instance.checkApply(false, signal)).toBe(false);
      expect(await instance.checkApply(false, signal)).toBe(false);
      expect(told()).toBe(1);
      // Installed behind its back, then removed: it would change again, which is news.
      await aptGet('install', DRY_RUN);
      expect(await instance.checkApply(false, signal)).toBe(true);
      await aptGet('remove', DRY_RUN);
      expect(await instance.checkApply(false, signal)).toBe(false);
      expect(told()).toBe(2);
    } finally {
      instance.cleanup();
      await harness.dispose();
      if (await installedVersion(DRY_RUN)) await aptGet('remove', DRY_RUN);
    }
  }, 300_000);

  it('in a group, an unknown package fails the check but does not hold back the others', async () => {
    const other = GROUP[0] ?? '';
    if (await installedVersion(other)) await aptGet('remove', other);
    const group = await makePkg({ package: other }, [{ package: 'no-such-package-converge' }]);
    try {
      const error = await group.instance.checkApply(true, group.signal).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isEngineError(error) && error.message).toBe('package no-such-package-converge is not known to PackageKit');
      // It names the member it is about (position 1), so the engine reports only that one failed.
      expect(isEngineError(error) && error.members).toEqual([1]);
      expect(await installedVersion(other)).toMatch(/^\d/);
      // What it did is logged all the same (QA: not when the group failed for another member).
      const told = group.harness.logs().filter((line) => line.message.startsWith('packages changed'));
      expect(told.map((line) => (line.fields?.['install'] as string[] | undefined)?.map((id) => id.split(';')[0]))).toEqual([[other]]);
    } finally {
      group.instance.cleanup();
      await group.harness.dispose();
    }
  }, 120_000);

  it('leaves an install that is changing the system to finish when aborted, instead of leaving dpkg half done (QA: "dpkg was interrupted")', async () => {
    await removeIfInstalled(GROUP);
    const [first = '', ...rest] = GROUP;
    const { instance, harness } = await makePkg({ package: first }, rest.map((name) => ({ package: name })));
    const controller = new AbortController();
    const logStart = (await stat(DPKG_LOG).catch(() => undefined))?.size ?? 0;
    try {
      const installing = instance.checkApply(true, controller.signal);
      // Aborted once dpkg has begun to unpack: the moment a Cancel used to break it.
      await eventually(async () => (await readFile(DPKG_LOG, 'utf8')).slice(logStart).includes('status half-installed'), 120_000);
      controller.abort(new Error('stopped'));
      expect(await installing).toBe(false);
      expect(harness.logs().some((entry) => entry.level === 'warn' && entry.message.includes('left to finish in packagekitd, not cancelled'))).toBe(true);
      for (const name of GROUP) expect(await installedVersion(name), name).toMatch(/^\d/);
      expect(await dpkgAudit()).toBe('');
    } finally {
      instance.cleanup();
      await harness.dispose();
      // The tests after this one start from none of them installed.
      await removeIfInstalled(GROUP);
    }
  }, 240_000);

  it('installs and removes a group of packages in one transaction each', async () => {
    const [first = '', ...rest] = GROUP;
    const install = await makePkg({ package: first }, rest.map((name) => ({ package: name })));
    try {
      expect(await install.instance.checkApply(false, install.signal)).toBe(false);
      const described = (await install.instance.describeChange())?.split('\n') ?? [];
      expect(described.map((line) => line.split(' ').slice(0, 2).join(' ')).sort()).toEqual(GROUP.map((name) => `install ${name}`).sort());
      expect(await install.instance.checkApply(true, install.signal)).toBe(false);
      // A real check leaves nothing for a dry run's description.
      expect(await install.instance.describeChange()).toBeUndefined();
      // A check with something to install resolves twice: what is installed (unfiltered), then what may be installed (free, supported).
      expect(Object.fromEntries(install.instance.packageKit!.transactions)).toEqual({ Resolve: 4, InstallPackages: 1 });
      for (const name of GROUP) expect(await installedVersion(name), name).toMatch(/^\d/);
      expect(await install.instance.checkApply(true, install.signal)).toBe(true);
      // A converged check: one transaction.
      expect(Object.fromEntries(install.instance.packageKit!.transactions)).toEqual({ Resolve: 5, InstallPackages: 1 });
    } finally {
      install.instance.cleanup();
      await install.harness.dispose();
    }

    const remove = await makePkg({ package: first, state: 'uninstalled' }, rest.map((name) => ({ package: name, state: 'uninstalled' })));
    try {
      expect(await remove.instance.checkApply(true, remove.signal)).toBe(false);
      expect(Object.fromEntries(remove.instance.packageKit!.transactions)).toEqual({ Resolve: 1, SimulateRemovePackages: 1, RemovePackages: 1 });
      for (const name of GROUP) expect(await installedVersion(name), name).toBeUndefined();
    } finally {
      remove.instance.cleanup();
      await remove.harness.dispose();
    }
  }, 120_000);
});

describe('pkg without its system parts', () => {
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  afterAll(() => {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  });

  it('says how to start the system bus when there is none, without crashing', async () => {
    process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/converge-test-bus';
    const error = await checkApplyError({ package: SINGLE });
    expect(error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(error.message).toBe('cannot connect to the system D-Bus: ENOENT');
    expect(error.hint).toContain('dbus-daemon --system --fork');
  });

  it('says how to get PackageKit when the bus has no packagekitd', async () => {
    // A real, private bus on which PackageKit cannot be activated.
    const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [chunk] = (await once(bus.stdout, 'data')) as [Buffer];
      process.env.DBUS_SYSTEM_BUS_ADDRESS = chunk.toString().trim();
      const error = await checkApplyError({ package: SINGLE });
      expect(error.message).toContain('org.freedesktop.DBus.Error.ServiceUnknown');
      expect(error.hint).toContain('/usr/libexec/packagekitd --disable-timer');
    } finally {
      bus.kill();
      await once(bus, 'exit');
    }
  });
});
