import { createTestContext, runCase } from '@converge/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerImageResource } from '../src/index.js';
import type { ImageParams } from '../src/index.js';
import { HOST, IMAGE, docker, dockerReady } from './docker-env.js';

const COPY_REPO = 'converge-test/copy';
const COPY_TAG = `t${process.pid}`;
const COPY = `${COPY_REPO}:${COPY_TAG}`;

async function exists(ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

afterEach(async () => {
  await docker.getImage(COPY).remove().catch(() => undefined);
});

describe.skipIf(!dockerReady)('docker:image against the real engine', () => {
  it('is converged for an image that exists', async () => {
    await runCase(dockerImageResource, { name: IMAGE, params: { host: HOST }, expect: 'converged' });
  });

  it('removes a tagged copy for state absent and leaves the original', async () => {
    await docker.getImage(IMAGE).tag({ repo: COPY_REPO, tag: COPY_TAG });
    expect(await exists(COPY)).toBe(true);
    await runCase(dockerImageResource, {
      name: COPY,
      params: { host: HOST, state: 'absent' },
      expect: 'diverged',
      verify: async () => {
        expect(await exists(COPY)).toBe(false);
        expect(await exists(IMAGE)).toBe(true);
      },
    });
    await runCase(dockerImageResource, { name: COPY, params: { host: HOST, state: 'absent' }, expect: 'converged' });
  });

  it('tries to pull a missing image and fails fast with a clear error (no registry here)', async () => {
    const started = Date.now();
    const failure = await runCase(dockerImageResource, {
      name: 'converge-test/never-built:1',
      params: { host: HOST },
      expect: 'diverged',
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    const cause = failure?.cause as { code?: string; message?: string; hint?: string } | undefined;
    expect(cause?.code).toBe('ERR_RESOURCE_CHECK_APPLY');
    expect(cause?.message).toMatch(/^image converge-test\/never-built:1 is absent from the Docker engine at unix:.* and pulling it failed: ./);
    expect(cause?.hint).toContain('docker load');
  });
});

describe.skipIf(!dockerReady)('docker:image dry run', () => {
  /** checkApply(false), then what describeChange says. */
  async function dryRunOf(ref: string, params: ImageParams): Promise<string | undefined> {
    const instance = dockerImageResource.create(params);
    const harness = createTestContext<ImageParams, object>({ kind: 'docker:image', name: ref });
    try {
      await instance.init?.(harness.ctx);
      const converged = await instance.checkApply(false, new AbortController().signal);
      const described = await instance.describeChange?.(new AbortController().signal);
      expect(described === undefined).toBe(converged);
      return described;
    } finally {
      await instance.cleanup?.();
      await harness.dispose();
    }
  }

  it('tells the pull or the removal it would do, and nothing for an image as wanted', async () => {
    expect(await dryRunOf('converge-test/never-built:1', { host: HOST, state: 'exists' })).toBe('pull image converge-test/never-built:1');
    expect(await dryRunOf(IMAGE, { host: HOST, state: 'exists' })).toBeUndefined();
    expect(await dryRunOf(IMAGE, { host: HOST, state: 'absent' })).toBe(`remove image ${IMAGE}`);
    expect(await exists(IMAGE)).toBe(true);
  });
});
