import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPluginDefinition, isResourceDefinition } from '@converge/engine-api';
import type { AutoEdgeCandidate } from '@converge/engine-api';
import { SystemLinks, systemPath } from '@converge/system-paths';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { execResource } from '../src/index.js';
import type { ExecParams } from '../src/index.js';
import { execAutoEdges } from '../src/exec-edges.js';

function firstBatch(params: ExecParams): readonly AutoEdgeCandidate[] {
  const search = execResource.edgeable!.autoEdges(params, params.cmd);
  const batch = search.next();
  return batch.done ? [] : batch.value;
}

describe('the plugin', () => {
  it('default-exports a plugin with the exec kind, matching package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      converge: { kinds: string[]; engineApi: string };
    };
    expect(isPluginDefinition(plugin)).toBe(true);
    expect(plugin.name).toBe(manifest.name);
    expect(plugin.resources.map((r) => r.kind)).toEqual(manifest.converge.kinds);
    expect(isResourceDefinition(execResource)).toBe(true);
    expect(execResource.nameParam).toBe('cmd');
    expect(execResource.refreshable).toBe(true);
    expect(Object.keys(execResource.sends!.properties).sort()).toEqual(['exitcode', 'output', 'stderr', 'stdout']);
    // A whole number, so that it can be received by an integer param (a timeout, a length).
    expect(execResource.sends!.properties['exitcode']).toMatchObject({ type: 'integer' });
  });
});

/** A path as this host's file resources are known (`/bin/sh` is `/usr/bin/sh` on a merged-/usr host). */
const onHost = (path: string) => systemPath(path);

describe('autoedges', () => {
  it('wants a file edge for each absolute program it runs, and none for bare names', () => {
    expect(firstBatch({ cmd: '/usr/bin/make install', ifcmd: 'test -e x', donecmd: '/usr/local/bin/notify done' })).toEqual([
      { kind: 'file', key: '/usr/bin/make' },
      { kind: 'file', key: '/usr/local/bin/notify' },
    ]);
    expect(firstBatch({ cmd: 'echo hi', shell: '/bin/bash' })).toEqual([{ kind: 'file', key: onHost('/bin/bash') }]);
    // Through a shell, a command line that starts with an absolute program runs that program too.
    expect(firstBatch({ cmd: '/usr/bin/hello -g x > /tmp/out', shell: '/bin/sh' })).toEqual([
      { kind: 'file', key: onHost('/bin/sh') },
      { kind: 'file', key: '/usr/bin/hello' },
    ]);
    expect(firstBatch({ cmd: 'FOO=1 /usr/bin/hello', shell: '/bin/sh' })).toEqual([{ kind: 'file', key: onHost('/bin/sh') }]);
    expect(firstBatch({ cmd: '/usr/bin/a;/usr/bin/b', shell: '/bin/sh' })).toEqual([{ kind: 'file', key: onHost('/bin/sh') }]);
    expect(firstBatch({ cmd: '/opt/app/run', args: ['--flag'] })).toEqual([{ kind: 'file', key: '/opt/app/run' }]);
    expect(firstBatch({ cmd: 'make' })).toEqual([]);
    expect(execResource.edgeable!.uids({ cmd: 'make' }, 'make')).toEqual([]);
  });

  it('wants an edge from each managed folder a command runs in, and from a program given relative to it (QA: ./script.sh ran before the file wrote it)', () => {
    expect(firstBatch({ cmd: './deploy.sh --now', cwd: '/srv/app', ifcmd: 'bin/check', ifcwd: '/srv/tools/', donecmd: 'make' })).toEqual([
      { kind: 'file', key: '/srv/app/deploy.sh' },
      { kind: 'file', key: '/srv/tools/bin/check' },
      { kind: 'file', key: '/srv/app/' },
      { kind: 'file', key: '/srv/tools/' },
    ]);
    // A relative folder is not known at load (converge's own working folder is not the exec's business).
    expect(firstBatch({ cmd: './x', cwd: 'rel' })).toEqual([]);
  });

  it('keys a program and a folder spelled with //, . or .. as the file resource of that path (QA: //usr/local/bin/x had no edge)', () => {
    expect(firstBatch({ cmd: '//usr/local/bin/x', ifcmd: '/usr/local/bin/../bin/y', nifcmd: '/usr/./local/bin/z', cwd: '/srv//app/.', donecmd: './run', donecwd: '/srv/app/../tools/' })).toEqual([
      { kind: 'file', key: '/usr/local/bin/x' },
      { kind: 'file', key: '/usr/local/bin/y' },
      { kind: 'file', key: '/usr/local/bin/z' },
      { kind: 'file', key: '/srv/tools/run' },
      { kind: 'file', key: '/srv/app/' },
      { kind: 'file', key: '/srv/tools/' },
    ]);
    expect(firstBatch({ cmd: '/opt//app/run', args: ['x'], watchcmd: '/opt/app/./watch', watchcwd: '/' })).toEqual([
      { kind: 'file', key: '/opt/app/run' },
      { kind: 'file', key: '/opt/app/watch' },
      { kind: 'file', key: '/' },
    ]);
  });
});

// A merged-/usr layout of its own (bin → usr/bin, lib → usr/lib) in a
// folder made here, so that this holds on any host: every key is the real
// path of the program or folder as the kernel finds it. The links are
// followed only as root keeps them: made as root.
describe.runIf(process.getuid?.() === 0)('autoedges through the system links (as root)', () => {
  let root = '';
  let links: SystemLinks;
  const at = (path: string) => `${root}${path}`;
  const keys = (params: ExecParams) => {
    const batch = execAutoEdges(params, links).next();
    return batch.done ? [] : batch.value.map((candidate) => candidate.key);
  };

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'res-exec-links-')));
    for (const folder of ['/usr/bin', '/usr/sbin', '/usr/lib/app', '/usr/share/app']) mkdirSync(at(folder), { recursive: true });
    for (const [link, target] of [['/bin', 'usr/bin'], ['/sbin', 'usr/sbin'], ['/lib', 'usr/lib']] as const) symlinkSync(target, at(link));
    for (const file of ['/usr/bin/tool', '/usr/sbin/admin', '/usr/lib/app/helper', '/usr/share/app/run']) writeFileSync(at(file), '#!/bin/sh\n', { mode: 0o755 });
    links = new SystemLinks(['/bin', '/sbin', '/lib'].map(at));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keys every program and folder by its real path (QA: cmd /bin/x ran before file[/usr/bin/x] and failed, ENOENT)', () => {
    expect(
      keys({
        cmd: at('/bin/tool'),
        shell: at('/bin/../sbin/admin'),
        ifcmd: at('/lib/app/helper'),
        nifcmd: '../share/app/run',
        nifcwd: at('/bin'),
        watchcmd: './helper',
        watchcwd: at('/lib/app'),
        donecmd: at('//sbin/admin'),
        cwd: at('/lib/app/'),
      }),
    ).toEqual([
      // The shell, then the program at the start of its command line.
      realpathSync.native(at('/sbin/admin')),
      realpathSync.native(at('/bin/tool')),
      realpathSync.native(at('/lib/app/helper')),
      // From the folder the command is really in: /bin/../share is /usr/share.
      realpathSync.native(`${at('/bin')}/../share/app/run`),
      `${realpathSync.native(at('/lib/app'))}/`,
      `${realpathSync.native(at('/bin'))}/`,
    ]);
  });
});

describe('validate', () => {
  const issues = (params: ExecParams) => (execResource.validate?.(params) ?? []).map((issue) => `${issue.param}: ${issue.message}`);

  it('refuses a NUL byte in what goes to the system, without showing the value (QA: passed validate, failed at the start)', () => {
    const nul = 'contains a NUL byte, which no command line, path or environment can hold';
    expect(issues({ cmd: '/bin/echo\0x' })).toEqual([`cmd: ${nul}`]);
    expect(issues({ cmd: '/bin/echo', args: ['a', 'b\0'], env: { A: 's3cret\0' }, watchfiles: ['/a\0'] })).toEqual([
      `args: ${nul}`,
      `env: ${nul}`,
      `watchfiles: ${nul}`,
    ]);
    // Compared with output, not passed on: left alone.
    expect(issues({ cmd: '/bin/true', ifcmd: '/bin/true', ifequals: 'a\0b' })).toEqual([]);
  });

  it('accepts a plain command', () => {
    expect(issues({ cmd: '/bin/true' })).toEqual([]);
  });

  it('rejects conflicting, relative or meaningless params', () => {
    expect(issues({ cmd: '   ' })).toEqual(['cmd: cmd is blank']);
    expect(issues({ cmd: 'echo', shell: '/bin/sh', args: ['x'] })).toEqual(['args: args cannot be used with shell']);
    expect(issues({ cmd: 'echo a', args: ['x'] })).toEqual(['args: args cannot be used when cmd has arguments']);
    expect(issues({ cmd: 'x', env: { 'BAD-NAME': '1' } })).toEqual(['env: "BAD-NAME" is not a valid environment variable name']);
    expect(issues({ cmd: 'x', watchfiles: ['rel/path'], creates: 'also/rel' })).toEqual([
      'watchfiles: "rel/path" is not an absolute path',
      'creates: "also/rel" is not an absolute path',
    ]);
    expect(issues({ cmd: 'x', cwd: 'relative', donecmd: 'y', donecwd: './here' })).toEqual([
      'cwd: "relative" is not an absolute path',
      'donecwd: "./here" is not an absolute path',
    ]);
    // Warnings, not refusals: mgmt runs such graphs (QA: a template setting a shell on every exec did not load).
    expect(execResource.validate?.({ cmd: 'x', ifequals: 'up', doneshell: '/bin/sh' } as ExecParams)?.map((issue) => [issue.param, issue.message, issue.severity])).toEqual([
      ['ifequals', 'ifequals has no effect without ifcmd', 'warning'],
      ['doneshell', 'doneshell has no effect without donecmd', 'warning'],
    ]);
  });

  it('warns of shell syntax in a command no shell runs, which reaches the program as an argument (QA: `echo hi > out` wrote no file, silently)', () => {
    const warned = (params: ExecParams) =>
      (execResource.validate?.(params) ?? []).map((issue) => [issue.param, issue.severity, issue.message.split(':')[0]]);
    expect(warned({ cmd: '/bin/echo hello > /tmp/out' })).toEqual([['cmd', 'warning', 'holds a redirection (`>`), but no shell runs it']]);
    expect(warned({ cmd: '/bin/sh -c "date >> /x"' })).toEqual([['cmd', 'warning', 'holds quoting (`"date`), but no shell runs it']]);
    expect(warned({ cmd: '/bin/true', ifcmd: 'test -f /a && test -f /b', donecmd: 'echo $HOME' })).toEqual([
      ['ifcmd', 'warning', 'holds a pipe or a command separator (`&&`), but no ifshell runs it'],
      ['donecmd', 'warning', 'holds a variable or command substitution (`$HOME`), but no doneshell runs it'],
    ]);
    // Through a shell, with args, or with nothing a shell reads differently: nothing to say.
    expect(warned({ cmd: 'echo $HOME > /tmp/out', shell: '/bin/sh', ifcmd: 'a | b', ifshell: '/bin/bash' })).toEqual([]);
    expect(warned({ cmd: '/bin/echo', args: ['>', '$HOME'] })).toEqual([]);
    expect(warned({ cmd: '/usr/bin/env A=b --x=1 50% a,b user@host:/p' })).toEqual([]);
  });

  it.each([
    ['/usr/bin/find /etc -exec /bin/grep -c Package {} ;'],
    ['/usr/bin/find /etc -exec /bin/grep -c Package {} +'],
    ['/bin/grep -qE ^[0-9]+\\.[0-9]+$ /etc/version'],
    ['/usr/bin/printf %s\\n hello'],
    ['/bin/sed -n s/a\\/b/c/p'],
    ['/usr/bin/cut -d; -f1'],
    ['/usr/bin/awk -F\\t'],
    ['/bin/grep -q ^127\\.0\\.0\\.1 /etc/hosts'],
    ['/usr/bin/curl https://x/y?a=1&b=2'],
    ['/bin/grep -E (a|b) /etc/hosts'],
  ])('does not warn of %s, which means the same to the program as to a shell (QA: backslashes, a word ending in `;`, find\'s `{} ;`)', (cmd) => {
    expect(execResource.validate?.({ cmd }) ?? []).toEqual([]);
  });

  it.each([
    ['/bin/rm -f /tmp/x/*.log', 'a glob (`/tmp/x/*.log`)'],
    ['/bin/echo hi>/tmp/out', 'a redirection (`hi>/tmp/out`)'],
    ['/bin/echo hi 2>&1', 'a redirection (`2>&1`)'],
    ['/bin/echo hi|/bin/cat', 'a pipe or a command separator (`hi|/bin/cat`)'],
    ['/bin/true&&/bin/true', 'a pipe or a command separator (`/bin/true&&/bin/true`)'],
    ['/bin/true;/bin/false', 'a pipe or a command separator (`/bin/true;/bin/false`)'],
    ['/bin/true ; /bin/false', 'a pipe or a command separator (`;`)'],
    ['/usr/bin/sleep 9 &', 'a pipe or a command separator (`&`)'],
    ['FOO=bar /usr/bin/env', 'a variable assignment (`FOO=bar`)'],
    ['/bin/ls ~root/', 'a home folder (`~root/`)'],
    ['/bin/ls ~', 'a home folder (`~`)'],
    ['/bin/ls --opt="x"', 'quoting (`--opt="x"`)'],
    ['/bin/ls ${HOME}', 'a variable or command substitution (`${HOME}`)'],
  ])('warns of %s (QA: globs, separators and redirections inside a word, an assignment first, ~user)', (cmd, what) => {
    expect((execResource.validate?.({ cmd }) ?? []).map((issue) => issue.message.split(', but')[0])).toEqual([`holds ${what}`]);
  });

  it('says that a first word with shell syntax is run as the program, not handed to it', () => {
    const message = (cmd: string) => execResource.validate?.({ cmd })?.[0]?.message.split(': ')[1];
    expect(message('FOO=bar /usr/bin/env')).toBe('it is split at spaces and `FOO=bar` is run as the program');
    expect(message('/bin/true;/bin/false')).toBe('it is split at spaces and `/bin/true;/bin/false` is run as the program');
    expect(message('/bin/rm -f /tmp/x/*.log')).toBe('it is split at spaces and `/tmp/x/*.log` reaches /bin/rm as an argument');
  });

  it("takes mgmt's spelled-out empty strings as unset", () => {
    expect(
      issues({ cmd: 'sleep 1', shell: '', watchcmd: '', watchshell: '', ifcmd: '', ifshell: '', creates: '', ifequals: '' }),
    ).toEqual([]);
  });
});
