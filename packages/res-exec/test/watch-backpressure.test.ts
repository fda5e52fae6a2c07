import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, makeExec, tempDir } from './helpers.js';
import { stop } from './watch-events.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

// QA: `yes` as watchcmd was read at full speed, each line an event: the
// engine's thread was spent on it and every other resource waited.
describe('a watchcmd that prints without end', () => {
  it('is held back while its change waits for a check, and each check is followed by a change again', async () => {
    const live = await makeExec('/bin/true', { watchcmd: '/usr/bin/yes' });
    const watching = live.res.watch!(live.signal);
    await eventually(() => live.harness.events() >= 2);
    // No check takes the change: a chunk is read now and then (one change
    // more each), not 500,000 lines a second.
    const before = live.harness.events();
    await sleep(1_000);
    expect(live.harness.events() - before).toBeLessThan(20);

    // A line after a check is a new change: cmd runs at the next one.
    for (let round = 0; round < 3; round++) {
      expect(await live.res.checkApply(true, live.signal)).toBe(false);
      await live.harness.waitForEvent(2_000);
    }
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    await stop(live, watching);
  });

  it('a line printed after the flood was held back and checked is still told', async () => {
    const trigger = join(dir, 'trigger');
    const drained = join(dir, 'drained');
    const live = await makeExec('/bin/true', {
      watchcmd: `/usr/bin/yes | /usr/bin/head -c 300000; touch ${drained}; while [ ! -e ${trigger} ]; do sleep 0.02; done; echo last; exec sleep 1000`,
      watchshell: '/bin/sh',
      env: { PATH: '/usr/bin:/bin' },
    });
    const watching = live.res.watch!(live.signal);
    // Checks until the flood was all read and run for: two in a row with nothing to do.
    let quiet = 0;
    for (const deadline = Date.now() + 20_000; quiet < 2; await sleep(300)) {
      expect(Date.now()).toBeLessThan(deadline);
      quiet = (await live.res.checkApply(true, live.signal)) && existsSync(drained) ? quiet + 1 : 0;
    }
    const next = live.harness.waitForEvent(2_000);
    writeFileSync(trigger, '');
    await next;
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    await stop(live, watching);
  });
});
