import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineResource, Type } from '@converge/engine-api';
import type { ResourceContext } from '@converge/engine-api';
import { startTestEngine } from '@converge/testkit';
import type { TestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execResource } from '../src/index.js';
import { eventually, tempDir } from './helpers.js';

// An exec after the resource that writes the path it watches (a file
// resource; the edge the README recommends): the parent writes, the engine
// checks the exec a few milliseconds later, and the exec's own event for
// that write comes after its run. That event must not run cmd again (QA:
// most changes ran cmd twice, ~90 ms apart).

let dir: string;
let remove: () => Promise<void>;
let engine: TestEngine | undefined;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await remove();
});

/** What the writer keeps in its path, and how a test tells it that this changed. */
const wanted = { content: 'v0\n', changed: (): void => {} };

/** Writes `wanted.content` to its path when the path holds anything else, as a file resource with `content` does. */
const writerResource = defineResource({
  kind: 'writer',
  params: Type.Object({ path: Type.String() }),
  create: ({ path }: { path: string }) => {
    let ctx: ResourceContext<{ path: string }> | undefined;
    return {
      init(context: ResourceContext<{ path: string }>) {
        ctx = context;
      },
      async watch(signal: AbortSignal) {
        wanted.changed = () => ctx?.event();
        ctx?.event();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      },
      checkApply(apply: boolean) {
        if (existsSync(path) && readFileSync(path, 'utf8') === wanted.content) return true;
        if (apply) writeFileSync(path, wanted.content);
        return false;
      },
    };
  },
});

describe('an exec after the resource that writes the path it watches', () => {
  it('runs cmd once per change: the event of the write its check already saw runs nothing', async () => {
    const [conf, log] = [join(dir, 'app.conf'), join(dir, 'log')];
    const runs = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    wanted.content = 'v0\n';
    engine = await startTestEngine({
      yaml: `graph: wf
resources:
  writer:
    - {name: conf, path: ${conf}}
  exec:
    - {name: reload, cmd: 'echo "reload $(cat ${conf})" >> ${log}', shell: /bin/sh, watchfiles: [${conf}]}
edges:
  - {name: conf-first, from: {kind: writer, name: conf}, to: {kind: exec, name: reload}}
`,
      resources: [writerResource, execResource],
      // A second of quiet before "converged": the event of a write comes within 250 ms of it, however busy the path.
      convergerTimeout: 1,
    });
    await engine.waitConverged(20_000);
    expect(runs()).toEqual(['reload v0']);
    for (let round = 1; round <= 6; round += 1) {
      const before = runs().length;
      wanted.content = `v${round}\n`;
      wanted.changed();
      await eventually(() => runs().length > before, 20_000);
      await engine.waitConverged(20_000);
      expect(runs().slice(before), `round ${round}`).toEqual([`reload v${round}`]);
    }
  }, 120_000);
});
