import { startTestEngine } from '@converge/testkit';
import { describe, expect, it } from 'vitest';
import { pkgResource } from '../src/index.js';
import { packageKitAvailable } from './helpers.js';

const identity = (name: string) => pkgResource.identity?.({ package: name });
const nativeArch = ({ x64: 'amd64', arm64: 'arm64' } as Partial<Record<string, string>>)[process.arch];

/** Why a graph was refused at load, or undefined when it loaded (the engine is stopped again). */
async function loadError(yaml: string): Promise<string | undefined> {
  try {
    const running = await startTestEngine({ resources: [pkgResource], yaml, file: 'g.yaml' });
    await running.stop();
    return undefined;
  } catch (error) {
    return String(error instanceof Error ? `${error.message}\n${JSON.stringify(error)}` : error);
  }
}

describe('pkg identity', () => {
  it('is the package name, with the architecture when it is not the native one', () => {
    expect(identity('hello')).toBe('hello');
    expect(identity('libc6:i386')).toBe('libc6:i386');
    expect(identity('libc6:i386')).not.toBe(identity('libc6'));
    if (nativeArch) expect(identity(`hello:${nativeArch}`)).toBe('hello');
  });

  it('refuses two resources of one package under different names, at load, with file:line', async () => {
    const error = await loadError(`graph: flap
resources:
  pkg:
  - name: hello
    state: installed
  - name: greeter
    package: hello
    state: uninstalled
`);
    expect(error).toBeDefined();
    expect(error).toContain('pkg[greeter]');
    expect(error).toContain('manages hello, as pkg[hello] (at g.yaml:4) does');
  });
});

const available = await packageKitAvailable();

describe.skipIf(!available)('pkg duplicates under one name', () => {
  it('still merge (identity is checked after merging)', async () => {
    // A package of the archive that is not installed is converged when uninstalled: nothing is changed.
    // (One that does not exist fails, as a typo.)
    const running = await startTestEngine({
      resources: [pkgResource],
      file: 'g.yaml',
      yaml: `graph: merged
resources:
  pkg:
  - name: dos2unix
    state: uninstalled
  - name: dos2unix
    state: uninstalled
`,
    });
    try {
      await running.waitConverged(60_000);
      expect(running.status('pkg[dos2unix]')?.state).toBe('converged');
    } finally {
      await running.stop();
    }
  }, 90_000);
});
