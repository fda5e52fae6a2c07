import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The package the private database installs and removes. */
export const PROBE_PACKAGE = 'converge-race-probe';

/** Whether dpkg and dpkg-deb can be run here (a Debian system). */
export async function dpkgAvailable(): Promise<boolean> {
  try {
    await run('dpkg-deb', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real dpkg working on a database of its own (`--root`), so that its
 * journal, lock and status file behave as the system's do without touching
 * the system's packages or the dpkg lock other tests wait for.
 */
export interface PrivateDpkg {
  /** Its database folder, as `/var/lib/dpkg` is the system's. */
  readonly admindir: string;
  /** Installs the probe package, then removes it: one full dpkg run each. */
  installAndRemove(): Promise<void>;
  dispose(): Promise<void>;
}

export async function privateDpkg(): Promise<PrivateDpkg> {
  const base = await mkdtemp(join(tmpdir(), 'converge-private-dpkg-'));
  const root = join(base, 'root');
  const admindir = join(root, 'var/lib/dpkg');
  await Promise.all(['updates', 'info'].map((sub) => mkdir(join(admindir, sub), { recursive: true })));
  await writeFile(join(admindir, 'status'), '');
  const deb = await buildProbe(join(base, 'build'));
  const dpkg = (...args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('dpkg', [`--root=${root}`, '--log=/dev/null', '--force-not-root', ...args], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dpkg ${args.join(' ')} exited with ${code}`))));
    });
  return {
    admindir,
    async installAndRemove() {
      await dpkg('-i', deb);
      await dpkg('-r', PROBE_PACKAGE);
    },
    dispose: () => rm(base, { recursive: true, force: true }),
  };
}

/**
 * A package of one file and no maintainer scripts, named `name` (version
 * 1.0, in no archive); returns the .deb's path. With `conffile`, it also
 * ships `/etc/<name>.conf` as a config file, which a removal leaves behind
 * (dpkg's state `rc`).
 */
export async function buildProbe(dir: string, name = PROBE_PACKAGE, options: { conffile?: boolean } = {}): Promise<string> {
  const doc = join(dir, 'usr/share/doc', name);
  await mkdir(join(dir, 'DEBIAN'), { recursive: true });
  await mkdir(doc, { recursive: true });
  if (options.conffile) {
    await mkdir(join(dir, 'etc'), { recursive: true });
    await writeFile(join(dir, 'etc', `${name}.conf`), 'probe\n');
    await writeFile(join(dir, 'DEBIAN/conffiles'), `/etc/${name}.conf\n`);
  }
  await writeFile(
    join(dir, 'DEBIAN/control'),
    `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: converge tests <tests@converge.invalid>\nDescription: probe package of the res-pkg tests\n`,
  );
  await writeFile(join(doc, 'README'), 'probe\n');
  const deb = `${dir}.deb`;
  await run('dpkg-deb', ['--root-owner-group', '--build', dir, deb]);
  return deb;
}
