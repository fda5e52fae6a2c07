import { createTestContext, startTestEngine } from '@converge/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerContainerResource, dockerImageResource } from '../src/index.js';
import type { ContainerParams, ImageParams } from '../src/index.js';
import { HOST, IMAGE, LONG_RUNNING, containerName, docker, dockerReady, eventually, inspect, removeTestContainers, startsSince } from './docker-env.js';

afterEach(removeTestContainers);

const containerGraph = (name: string): string => `graph: watched
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      host: ${HOST}
      cmd: ${JSON.stringify(LONG_RUNNING)}
`;

describe.skipIf(!dockerReady)('watching the engine’s event stream', () => {
  it('sends an event once live, then when the container is changed by hand, and stops on abort', async () => {
    const name = containerName('events');
    const params: ContainerParams = { image: IMAGE, host: HOST, state: 'running', cmd: LONG_RUNNING };
    const instance = dockerContainerResource.create(params);
    const harness = createTestContext<ContainerParams, object>({ kind: 'docker:container', name });
    await instance.init?.(harness.ctx);
    const controller = new AbortController();
    const watching = instance.watch!(controller.signal);
    try {
      await harness.waitForEvent();
      const other = containerName('other');
      await docker.createContainer({ name: other, Image: IMAGE, Cmd: LONG_RUNNING });
      const before = harness.events();
      const seen = harness.waitForEvent();
      await docker.createContainer({ name, Image: IMAGE, Cmd: LONG_RUNNING });
      await seen;
      // The filter keeps other containers' events out.
      await docker.getContainer(other).remove({ force: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(harness.events()).toBe(before + 1);
    } finally {
      controller.abort();
      await watching;
      await instance.cleanup?.();
      await harness.dispose();
    }
  });

  it('sends one event even when the engine cannot be reached, so checkApply can say so', async () => {
    const params: ContainerParams = { image: IMAGE, host: 'unix:///run/converge-test/nothing-here.sock', state: 'running' };
    const instance = dockerContainerResource.create(params);
    const harness = createTestContext<ContainerParams, object>({ kind: 'docker:container', name: containerName('unreachable') });
    await instance.init?.(harness.ctx);
    const controller = new AbortController();
    const watching = instance.watch!(controller.signal);
    try {
      await harness.waitForEvent();
      // Retrying the stream in the background does not flood the engine with events.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(harness.events()).toBe(1);
    } finally {
      controller.abort();
      await watching;
      await harness.dispose();
    }
  });

  it('sends an event for an image untagged by hand', async () => {
    const ref = `converge-test/watched:${process.pid}`;
    await docker.getImage(IMAGE).tag({ repo: 'converge-test/watched', tag: String(process.pid) });
    const instance = dockerImageResource.create({ state: 'exists', host: HOST });
    const harness = createTestContext<ImageParams, object>({ kind: 'docker:image', name: ref });
    await instance.init?.(harness.ctx);
    const controller = new AbortController();
    const watching = instance.watch!(controller.signal);
    try {
      await harness.waitForEvent();
      const seen = harness.waitForEvent();
      await docker.getImage(ref).remove();
      await seen;
    } finally {
      controller.abort();
      await watching;
      await harness.dispose();
    }
  });
});

describe.skipIf(!dockerReady)('repairs made by a running engine', () => {
  it('fails a container whose command exits at once, and does not start it again on its own events', async () => {
    const name = containerName('exits-engine');
    const since = Math.floor(Date.now() / 1000) - 1;
    const yaml = `graph: exits
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      host: ${HOST}
`;
    const running = await startTestEngine({ resources: [dockerContainerResource], yaml });
    try {
      await eventually(() => running.status(`docker:container[${name}]`)?.state === 'failed', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(running.status(`docker:container[${name}]`)?.state).toBe('failed');
      expect(await startsSince(name, since)).toBe(1);
    } finally {
      await running.stop();
    }
  });

  it('starts again at once a container stopped by hand after it ran for a while (no back-off)', async () => {
    const name = containerName('long-run');
    const running = await startTestEngine({ resources: [dockerContainerResource], yaml: containerGraph(name) });
    try {
      await running.waitConverged(20_000);
      const first = await inspect(name);
      // Longer than a run that counts as short (10 s).
      await new Promise((resolve) => setTimeout(resolve, 10_500));
      for (let round = 0; round < 2; round++) {
        const before = await inspect(name);
        await docker.getContainer(name).stop({ t: 5 });
        const stopped = Date.now();
        await eventually(async () => {
          const info = await inspect(name);
          return info?.State.Status === 'running' && info.State.StartedAt !== before?.State.StartedAt;
        });
        // The second stop comes right after a short run: the first short run in a row is started again at once too.
        expect(Date.now() - stopped).toBeLessThan(2_000);
      }
      expect((await inspect(name))?.Id).toBe(first?.Id);
    } finally {
      await running.stop();
    }
  }, 40_000);

  it('recreates a running container removed with docker rm -f, without failing on the removal in progress', async () => {
    const name = containerName('rm-f');
    const running = await startTestEngine({ resources: [dockerContainerResource], yaml: containerGraph(name) });
    try {
      await running.waitConverged(20_000);
      const states: string[] = [];
      for (let round = 0; round < 3; round++) {
        const before = await inspect(name);
        await docker.getContainer(name).remove({ force: true });
        await eventually(async () => {
          const state = running.status(`docker:container[${name}]`)?.state;
          if (state) states.push(state);
          const info = await inspect(name);
          return info?.State.Status === 'running' && info.Id !== before?.Id;
        });
      }
      await running.waitConverged(20_000);
      expect(states).not.toContain('failed');
    } finally {
      await running.stop();
    }
  });

  it('starts again a container stopped by hand, and recreates one removed by hand', async () => {
    const name = containerName('repair');
    const running = await startTestEngine({ resources: [dockerContainerResource], yaml: containerGraph(name) });
    try {
      await running.waitConverged(20_000);
      const first = await inspect(name);
      expect(first?.State.Status).toBe('running');

      await docker.getContainer(name).kill();
      await eventually(async () => {
        const info = await inspect(name);
        return info?.State.Status === 'running' && info.State.StartedAt !== first?.State.StartedAt;
      });
      expect((await inspect(name))?.Id).toBe(first?.Id);

      await docker.getContainer(name).remove({ force: true });
      await eventually(async () => {
        const info = await inspect(name);
        return info?.State.Status === 'running' && info.Id !== first?.Id;
      });
      await running.waitConverged(20_000);
      expect(running.status(`docker:container[${name}]`)?.state).toBe('converged');
    } finally {
      await running.stop();
    }
  });
});
