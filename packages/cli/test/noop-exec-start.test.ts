import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('converge run --noop: an exec that cannot start', () => {
  it('fails a command whose program or cwd is not there and no resource makes, as the real run does (QA: would change, exit 0)', async () => {
    const dir = await makeTempDir();
    const program = join(dir, 'no-such-program');
    const folder = join(dir, 'no-such-folder');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: miss
resources:
  exec:
    - {name: a, cmd: ${program}}
    - {name: b, cmd: /bin/true, cwd: ${folder}}
`,
    );
    for (const flags of [['--noop'], []]) {
      const result = await runCli(['run', ...ONCE, ...flags, graph]);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stdout).toContain(`failed: exec[a]: cmd ${program} could not be started: ENOENT`);
      expect(result.stdout).toContain(`failed: exec[b]: cmd /bin/true could not be started: its cwd ${folder} does not exist`);
      expect(result.stdout).not.toContain('would change: exec');
    }
  });

  it('counts one whose program or cwd a parent would make as would change after it, and says so', async () => {
    const dir = await makeTempDir();
    const program = join(dir, 'prog');
    const folder = join(dir, 'work');
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: made
resources:
  file:
    - {name: ${folder}/, state: exists}
    - {name: ${program}, state: exists, content: "#!/bin/sh\\n", mode: "0755"}
  exec:
    - {name: c, cmd: /bin/true, cwd: ${folder}}
    - {name: d, cmd: ${program}}
`,
    );
    const result = await runCli(['run', ...ONCE, '--noop', graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('would change: exec[c]');
    expect(result.stdout).toContain('would change: exec[d]');
    expect(result.stderr).toContain(`exec[c]: would change after file[${folder}/] (noop; checked before it changes, it says: cmd /bin/true could not be started: its cwd ${folder} does not exist)`);
    expect(result.stderr).toContain(`exec[d]: would change after file[${program}] (noop; checked before it changes, it says: cmd ${program} could not be started: ENOENT)`);
    expect(existsSync(folder) || existsSync(program)).toBe(false);
  });

  it('finds a bare program name in the command’s PATH, as spawn does, and tells a donecmd that cannot start after what cmd would do', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(
      dir,
      'graph.yaml',
      `graph: path
resources:
  exec:
    - {name: found, cmd: "true", env: {PATH: /usr/bin:/bin}}
    - {name: elsewhere, cmd: "true", env: {PATH: ${dir}}}
    - {name: done, cmd: /bin/true, donecmd: ${join(dir, 'no-such-done')}}
`,
    );
    const result = await runCli(['run', ...ONCE, '--noop', graph]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('would change: exec[found]');
    expect(result.stdout).toContain('failed: exec[elsewhere]: cmd true could not be started: ENOENT');
    expect(result.stderr).toContain('exec[done]: would change (noop), before it fails');
    expect(result.stdout).toContain(`failed: exec[done]: donecmd ${join(dir, 'no-such-done')} could not be started: ENOENT`);
  });
});
