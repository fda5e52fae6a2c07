import { isEngineError, type EngineError } from '@converge/engine-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptGet, installedVersion, makePkg, packageKitAvailable } from './helpers.js';

// Packages of their own, so that this file can run beside the others:
// cowsay-off depends on cowsay; nothing depends on sl.
const TARGET = 'cowsay';
const DEPENDENT = 'cowsay-off';
const UNRELATED = 'sl';

const available = await packageKitAvailable();

async function removeIfInstalled(): Promise<void> {
  const present: string[] = [];
  for (const name of [TARGET, DEPENDENT, UNRELATED]) if (await installedVersion(name)) present.push(name);
  if (present.length > 0) await aptGet('remove', ...present);
}

/** The EngineError a check fails with; fails the test when it succeeds or throws something else. */
async function failureOf(check: Promise<boolean>): Promise<EngineError> {
  const error = await check.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isEngineError(error)) throw new Error(`expected the check to fail with an EngineError, got ${String(error)}`);
  return error;
}

describe.skipIf(!available)('pkg uninstalled with installed dependents', () => {
  beforeAll(async () => {
    await aptGet('install', '--no-install-recommends', DEPENDENT);
  }, 120_000);
  afterAll(removeIfInstalled, 120_000);

  it('refuses to remove a package others depend on, and removes nothing', async () => {
    const { instance, harness, signal } = await makePkg({ package: TARGET, state: 'uninstalled' });
    try {
      const error = await failureOf(instance.checkApply(true, signal));
      expect(error.code).toBe('ERR_RESOURCE_CHECK_APPLY');
      expect(error.message).toBe(`removing ${TARGET} would also remove what depends on it: ${DEPENDENT}; nothing was removed`);
      expect(error.hint).toContain('state: uninstalled');
      expect(Object.fromEntries(instance.packageKit!.transactions)).toEqual({ Resolve: 1, SimulateRemovePackages: 1 });
    } finally {
      instance.cleanup();
      await harness.dispose();
    }
    expect(await installedVersion(TARGET)).toMatch(/^\d/);
    expect(await installedVersion(DEPENDENT)).toMatch(/^\d/);
  }, 90_000);

  it('foretells the refusal in a dry run (a simulated removal), and removes nothing', async () => {
    const { instance, harness, signal } = await makePkg({ package: TARGET, state: 'uninstalled' });
    try {
      const error = await instance.checkApply(false, signal).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isEngineError(error) && error.message).toBe(`removing ${TARGET} would also remove what depends on it: ${DEPENDENT}; nothing was removed`);
      expect(Object.fromEntries(instance.packageKit!.transactions)).toEqual({ Resolve: 1, SimulateRemovePackages: 1 });
    } finally {
      instance.cleanup();
      await harness.dispose();
    }
    expect(await installedVersion(TARGET)).toMatch(/^\d/);
  }, 90_000);

  it('in a dry run of a group, says which other members would change, though one fails (QA: told converged)', async () => {
    await aptGet('install', '--no-install-recommends', UNRELATED);
    const { instance, harness, signal } = await makePkg({ package: UNRELATED, state: 'uninstalled' }, [{ package: TARGET, state: 'uninstalled' }]);
    try {
      const error = await failureOf(instance.checkApply(false, signal));
      expect(error.members).toEqual([1]);
      expect(instance.changedMembers()).toEqual([0]);
    } finally {
      instance.cleanup();
      await harness.dispose();
    }
    expect(await installedVersion(UNRELATED)).toMatch(/^\d/);
    expect(await installedVersion(TARGET)).toMatch(/^\d/);
  }, 120_000);

  it('in a group, removes the other packages and fails only the member with dependents (QA: nothing was removed)', async () => {
    await aptGet('install', '--no-install-recommends', UNRELATED);
    const { instance, harness, signal } = await makePkg({ package: UNRELATED, state: 'uninstalled' }, [{ package: TARGET, state: 'uninstalled' }]);
    try {
      const error = await failureOf(instance.checkApply(true, signal));
      expect(error.message).toBe(`removing ${TARGET} would also remove what depends on it: ${DEPENDENT}; ${TARGET} stayed installed`);
      // Position 1: the group's second member, the only one that failed; the first was changed.
      expect(error.members).toEqual([1]);
      expect(instance.changedMembers()).toEqual([0]);
    } finally {
      instance.cleanup();
      await harness.dispose();
    }
    expect(await installedVersion(UNRELATED)).toBeUndefined();
    expect(await installedVersion(TARGET)).toMatch(/^\d/);
    expect(await installedVersion(DEPENDENT)).toMatch(/^\d/);
  }, 120_000);

  it('removes a package together with its dependents when both are uninstalled', async () => {
    const { instance, harness, signal } = await makePkg({ package: TARGET, state: 'uninstalled' }, [{ package: DEPENDENT, state: 'uninstalled' }]);
    try {
      expect(await instance.checkApply(true, signal)).toBe(false);
      expect(Object.fromEntries(instance.packageKit!.transactions)).toEqual({ Resolve: 1, SimulateRemovePackages: 1, RemovePackages: 1 });
      expect(await instance.checkApply(true, signal)).toBe(true);
    } finally {
      instance.cleanup();
      await harness.dispose();
    }
    expect(await installedVersion(TARGET)).toBeUndefined();
    expect(await installedVersion(DEPENDENT)).toBeUndefined();
  }, 90_000);
});
