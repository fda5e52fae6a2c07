import type { ResourceInstance } from '@converge/engine-api';
import { createTestContext, type TestContext } from '@converge/testkit';
import { passwordResource, type PasswordParams, type PasswordSends } from '../src/index.js';

export interface LivePassword {
  readonly instance: ResourceInstance<PasswordParams, PasswordSends>;
  readonly harness: TestContext<PasswordParams, PasswordSends>;
  /** Runs checkApply with a fresh signal. */
  check(apply: boolean): Promise<boolean>;
  /** The last password sent. */
  password(): string;
}

/** A password resource, created and initialised on a test context whose var dir lives under `varDir`. */
export async function livePassword(params: Partial<PasswordParams>, varDir: string, name = 'db'): Promise<LivePassword> {
  const full: PasswordParams = { length: 64, saved: false, check_recovery: false, ...params };
  const harness = createTestContext<PasswordParams, PasswordSends>({ kind: 'password', name, varDir });
  const instance = passwordResource.create(full);
  await instance.init?.(harness.ctx);
  return {
    instance,
    harness,
    check: async (apply) => instance.checkApply(apply, new AbortController().signal),
    password: () => {
      const sent = harness.sent().password;
      if (sent === undefined) throw new Error('nothing sent yet');
      return sent;
    },
  };
}
