import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { BIN, killAll, REPO_ROOT, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// A sysctl set through a file resource, as a mgmt graph would: the write
// goes into /proc/sys/kernel/domainname of a UTS namespace of the test's
// own (unshare -u), so the machine's own setting is never touched.

afterEach(() => {
  killAll();
  return removeTempDirs();
});

describe('a file of the kernel file systems', () => {
  it('is written in place and then found in sync, in a UTS namespace of its own', async () => {
    const dir = await makeTempDir();
    const seen = join(dir, 'seen');
    const graph = await writeGraph(
      dir,
      'sysctl.yaml',
      `graph: sysctl
resources:
  file:
  - name: /proc/sys/kernel/domainname
    content: "converge.test"
  exec:
  - name: read-back
    cmd: cat /proc/sys/kernel/domainname > ${seen}
    shell: /bin/sh
edges:
- from: {kind: file, name: /proc/sys/kernel/domainname}
  to: {kind: exec, name: read-back}
`,
    );
    const before = await readFile('/proc/sys/kernel/domainname', 'utf8');
    // Twice in one namespace: the second run finds the value set and changes nothing.
    const run = `"$0" "$1" run --tmp-prefix --converger-timeout=0 --converged-exit "$2" && echo SECOND && "$0" "$1" run --tmp-prefix --converger-timeout=0 --converged-exit "$2"`;
    const { stdout, stderr } = await promisify(execFile)('unshare', ['-u', 'sh', '-c', run, process.execPath, BIN, graph], { cwd: REPO_ROOT });
    const [first, second] = stdout.split('SECOND');
    expect(first, stderr).toContain('changed: file[/proc/sys/kernel/domainname]');
    expect(second, stderr).not.toContain('changed: file[');
    expect(await readFile(seen, 'utf8')).toBe('converge.test\n');
    expect(await readFile('/proc/sys/kernel/domainname', 'utf8')).toBe(before);
  });

  it('takes the form the kernel shows a written value in as that value, instead of writing it at every check', async () => {
    const dir = await makeTempDir();
    // The kernel keeps a domain name up to its first newline: it shows "first\n" for this.
    const graph = await writeGraph(
      dir,
      'form.yaml',
      `graph: form
resources:
  file:
  - name: /proc/sys/kernel/domainname
    content: "first\\nsecond"
    meta: {poll: 0.1}
`,
    );
    // unshare execs converge itself, so the SIGINT below reaches it.
    const cli = startCli(['run', '--tmp-prefix', graph], { wrapper: ['unshare', '-u'] });
    await cli.waitFor(/changed: file\[\/proc\/sys\/kernel\/domainname\]/);
    await cli.waitFor(/the kernel shows \/proc\/sys\/kernel\/domainname as "first" after the write/);
    // About 20 polls after the write (fewer on a loaded machine; one is enough to write again).
    await delay(2000);
    cli.child.kill('SIGINT');
    const { stdout, stderr } = await cli.result;
    expect(stdout.match(/changed: file\[\/proc\/sys\/kernel\/domainname\]/g), stderr).toHaveLength(1);
    expect(stderr).toContain('1 converged · 0 failed');
  });
});
