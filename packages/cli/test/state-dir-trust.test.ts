import { chmod, chown, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/** The uid of `nobody` on Debian; any user other than this one will do. */
const ANOTHER_USER = 65534;

describe('a state directory another user could change (QA: a planted reversal record had root write a setuid file)', () => {
  const cases: Array<[string, (dir: string) => Promise<string>, string]> = [
    [
      "another user's",
      async (dir) => {
        const state = join(dir, 'theirs');
        await mkdir(state, { mode: 0o700 });
        await chown(state, ANOTHER_USER, ANOTHER_USER);
        return state;
      },
      `belongs to uid ${ANOTHER_USER}, not to this user`,
    ],
    [
      'writable by every user',
      async (dir) => {
        const state = join(dir, 'open');
        await mkdir(state);
        await chmod(state, 0o777);
        return state;
      },
      'may be written by every user (mode 0777)',
    ],
    [
      // Its hint must not be to change the folder's mode (QA: told to chmod go-w /tmp).
      'a shared folder, sticky and writable by every user, as /tmp is',
      async (dir) => {
        const shared = join(dir, 'like-tmp');
        await mkdir(shared);
        await chmod(shared, 0o1777);
        return shared;
      },
      'like-tmp is a shared folder (sticky): leave its owner and mode as they are, and give converge a folder of its own in it, e.g. --prefix ',
    ],
    [
      'in a folder every user may write, without the sticky bit',
      async (dir) => {
        const shared = join(dir, 'shared');
        await mkdir(shared);
        await chmod(shared, 0o777);
        return join(shared, 'state');
      },
      'may be changed by another user (uid 0, mode 0777): the state directory could be replaced',
    ],
    [
      'reached through a link in a folder of another user (QA: passed, and that user could point the link elsewhere during the run)',
      async (dir) => {
        const theirs = join(dir, 'theirs');
        const real = join(dir, 'real');
        await mkdir(theirs);
        await mkdir(real, { mode: 0o700 });
        await chown(theirs, ANOTHER_USER, ANOTHER_USER);
        await symlink(real, join(theirs, 'link'));
        return join(theirs, 'link');
      },
      `above the state directory`,
    ],
  ];

  it.each(cases)('is refused when it is %s, with exit 2 and nothing applied', async (_what, make, message) => {
    if (process.geteuid?.() !== 0) throw new Error('this test makes folders of another user: run it as root, as CI does');
    const dir = await makeTempDir();
    await chmod(dir, 0o755);
    const managed = join(dir, 'managed');
    const graph = await writeGraph(dir, 'g.yaml', `graph: g\nresources:\n  file:\n  - name: ${managed}\n    state: exists\n    content: "hi\\n"\n`);
    const state = await make(dir);

    const result = await runCli(['run', ...onceWithState(state), graph]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('hint: ');
    await expect(stat(managed)).rejects.toThrow();
    expect(await readdir(state).catch(() => [])).toEqual([]);
  });

  it('is used when this user owns it and no one else may write it or a folder above (a sticky /tmp is fine)', async () => {
    const dir = await makeTempDir();
    await chmod(dir, 0o1777);
    const managed = join(dir, 'managed');
    const graph = await writeGraph(dir, 'g.yaml', `graph: g\nresources:\n  file:\n  - name: ${managed}\n    state: exists\n    content: "hi\\n"\n`);
    const result = await runCli(['run', ...onceWithState(join(dir, 'made', 'state')), graph]);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(join(dir, 'made', 'state'))).mode & 0o777).toBe(0o700);
  });

  it('is refused, making nothing there, when a folder above one to be made is another user\'s; and a temp one in a TMPDIR of another user too', async () => {
    if (process.geteuid?.() !== 0) throw new Error('this test makes folders of another user: run it as root, as CI does');
    const dir = await makeTempDir();
    await chmod(dir, 0o755);
    const theirs = join(dir, 'theirs');
    await mkdir(theirs);
    await chown(theirs, ANOTHER_USER, ANOTHER_USER);
    const graph = await writeGraph(dir, 'g.yaml', 'graph: g\nresources:\n  noop:\n  - name: a\n');

    const made = await runCli(['run', ...onceWithState(join(theirs, 'state')), graph]);
    expect(made.code).toBe(2);
    expect(await readdir(theirs)).toEqual([]);

    const temp = await runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', graph], { env: { TMPDIR: theirs } });
    expect(temp.code).toBe(2);
    expect(temp.stderr).toContain('hint: set TMPDIR to a folder no other user may change');
    expect(await readdir(theirs)).toEqual([]);
  });
});
