import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@converge/testkit';
import { PackageKitClient, pkgResource } from '../src/index.js';
import type { PkgInstance, PkgParams } from '../src/index.js';

const run = promisify(execFile);

/**
 * Whether PackageKit answers on the system bus. In CI its absence is a
 * failure (the setup script must have started it); elsewhere the real tests
 * skip with this message.
 */
export async function packageKitAvailable(): Promise<boolean> {
  try {
    const client = await PackageKitClient.connect();
    try {
      await client.resolve(['dpkg'], 0n);
      return true;
    } finally {
      client.close();
    }
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`PackageKit is required in CI: ${String(error)}; run tools/ci/setup-system.sh`);
    console.warn(`res-pkg: skipping the real PackageKit tests: ${String(error)} (run tools/ci/setup/20-dbus-packagekit.sh as root)`);
    return false;
  }
}

/** The installed version of a package according to dpkg, or undefined. */
export async function installedVersion(name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}|${Version}', name]);
    const [status = '', version] = stdout.split('|');
    return status === 'install ok installed' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** What `dpkg --audit` finds wrong (half-installed, half-configured packages); empty when dpkg is sound. */
export async function dpkgAudit(): Promise<string> {
  const { stdout } = await run('dpkg', ['--audit']);
  return stdout.trim();
}

/** Changes packages behind converge's back, as an administrator would; waits for PackageKit's dpkg lock. */
export async function aptGet(...args: string[]): Promise<void> {
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', '-y', '-qq', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await sleep(100);
  }
}

/** A live pkg resource (optionally acting for a group) with a test context. */
export async function makePkg(params: PkgParams, children: PkgParams[] = []) {
  const instance = pkgResource.create(params) as PkgInstance;
  instance.group(children);
  const harness = createTestContext<PkgParams, Record<string, never>>({ kind: 'pkg', name: params.package });
  instance.init(harness.ctx);
  return { instance, harness, signal: new AbortController().signal };
}

/**
 * Holds a POSIX write lock (fcntl, as apt and dpkg take it) on `path` in
 * another process (python3, named so in /proc) until `release` is called.
 */
export async function holdLock(path: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const holder = spawn('python3', ['-c', `import fcntl,sys\nf=open(${JSON.stringify(path)},'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\nsys.stdin.read()`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(holder.stdout, 'data');
  return {
    pid: holder.pid as number,
    release: async () => {
      if (holder.exitCode !== null) return;
      holder.stdin.end();
      await once(holder, 'exit');
    },
  };
}
