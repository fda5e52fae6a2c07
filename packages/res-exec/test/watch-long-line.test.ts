import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WATCH_LINE_BYTES } from '../src/line-ends.js';
import { isRunning } from '../src/process-group.js';
import { eventually, makeExec, readPid, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

// QA: 600 MB without a newline grew the engine's memory until readline threw
// "Invalid string length", which no one caught: the whole engine stopped.
describe('watchcmd output that is not lines', () => {
  it('fails the watch (not the engine) once a line passes the limit, before it ends', async () => {
    const bytes = MAX_WATCH_LINE_BYTES + 1024 * 1024;
    const live = await makeExec('/bin/true', {
      watchcmd: `echo $$ > ${join(dir, 'watch.pid')}; head -c ${bytes} /dev/zero; exec sleep 1000`,
      watchshell: '/bin/sh',
    });
    const error: unknown = await live.res.watch!(live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_WATCH');
    expect((error as Error).message).toMatch(/^watchcmd \/bin\/sh -c .* printed a line longer than 16 MiB on stdout; each line it prints is an event/);
    expect(isEngineError(error) && error.hint).toMatch(/one line per change/);
    // The end of the watch stopped the command, which still had no newline to print.
    const pid = await readPid(join(dir, 'watch.pid'));
    await eventually(() => !isRunning(pid));
    await live.res.cleanup();
  });

  it('a long line within the limit (mgmt stops at 64 KiB) is one event', async () => {
    const live = await makeExec('/bin/true', {
      watchcmd: `head -c ${1024 * 1024} /dev/zero | tr '\\0' x; echo; exec sleep 1000`,
      watchshell: '/bin/sh',
    });
    const watching = live.res.watch!(live.signal);
    await eventually(() => live.harness.events() >= 2); // live + the line
    expect(live.harness.events()).toBe(2);
    live.abort();
    await watching;
    await live.res.cleanup();
  });
});
