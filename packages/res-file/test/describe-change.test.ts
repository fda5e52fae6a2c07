import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileParams } from '../src/index.js';
import { makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** What a dry run of `params` at `name` says, after checking that checkApply(false) reports a change. */
async function describeAt(name: string, params: Partial<FileParams>): Promise<string | undefined> {
  const file = await makeFile(name, params);
  try {
    const converged = await file.checkApply(false);
    const description = await file.res.describeChange(new AbortController().signal);
    // The engine only asks diverged resources; a converged one must have nothing to say.
    expect(description === undefined).toBe(converged);
    return description;
  } finally {
    await file.close();
  }
}

describe('a dry run of a copy whose source another resource writes first (QA: failed, exit 1, where the real run succeeds)', () => {
  it('would change, and says where the content comes from, without reading it', async () => {
    const source = join(dir, 'sub', 'f');
    const copy = join(dir, 'copy');
    const writer = await makeFile(source, { state: 'exists', content: 'hello\n' });
    const copier = await makeFile(copy, { state: 'exists', source });
    try {
      expect(await copier.checkApply(false)).toBe(false);
      expect(await copier.res.describeChange(new AbortController().signal)).toBe(
        `create file ${copy}\ncontent from ${source}, which another resource of this run writes first (not known in a dry run)`,
      );
      // Nobody writes it: then it is the error it always was.
      await writer.close();
      await expect(copier.checkApply(false)).rejects.toThrow(`source ${source} does not exist`);
    } finally {
      await copier.close();
      await writer.close();
    }
  });
});

describe('describeChange (dry run)', () => {
  it('shows a unified diff of the content and changes nothing', async () => {
    const path = join(dir, 'motd');
    await writeFile(path, 'hello\nold line\n');
    const before = await stat(path);
    const text = await describeAt(path, { content: 'hello\nnew line\n' });
    expect(text).toBe([`--- ${path}\tcurrent`, `+++ ${path}\twanted`, '@@ -1,2 +1,2 @@', ' hello', '-old line', '+new line'].join('\n'));
    expect(await readFile(path, 'utf8')).toBe('hello\nold line\n');
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('keeps a carriage return on the last line of the diff, the only difference there (QA: it showed -b and +b)', async () => {
    const path = join(dir, 'crlf');
    await writeFile(path, 'a\r\nb\n');
    const text = await describeAt(path, { content: 'a\r\nb\r\n' });
    expect(text?.split('\n').slice(-3)).toEqual([' a\r', '-b', '+b\r']);
  });

  it('shows a new file as created from /dev/null, with its mode', async () => {
    const path = join(dir, 'new');
    const text = await describeAt(path, { state: 'exists', content: 'one\n', mode: '0664' });
    expect(text?.split('\n')).toEqual([`create file ${path}`, '--- /dev/null', `+++ ${path}\twanted`, '@@ -0,0 +1,1 @@', '+one', 'mode 0664']);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('gives a file to be created its size, not "0 bytes now", when its content is not shown (QA)', async () => {
    const binary = join(dir, 'new.bin');
    expect(await describeAt(binary, { state: 'exists', content: 'a\u0000b' })).toBe(`create file ${binary}\ncontent: 3 bytes (binary or large)`);
    const previous = process.umask(0o077);
    try {
      const secret = join(dir, 'new.secret');
      const text = await describeAt(secret, { state: 'exists', content: 'x'.repeat(32) });
      expect(text).toBe(`create file ${secret}\ncontent: 32 bytes (not shown: the file will not be readable by others)`);
    } finally {
      process.umask(previous);
    }
  });

  it('does not print what a file others cannot read holds: it may be a secret', async () => {
    const path = join(dir, 'secret');
    await writeFile(path, 'SECRETVALUE\n');
    await chmod(path, 0o600);
    const text = await describeAt(path, { content: 'CHANGEME\n' });
    expect(text).toBe('content differs (not shown: the file is not readable by others; 12 bytes now, 9 bytes wanted)');
  });

  it('does not print what a file is to hold when others will not be able to read it (mode, or a 0600 source)', async () => {
    const fresh = join(dir, 'fresh-secret');
    expect(await describeAt(fresh, { state: 'exists', content: 'NEWSECRET\n', mode: '0600' })).toBe(
      [`create file ${fresh}`, 'content: 10 bytes (not shown: the file will not be readable by others)', 'mode 0600'].join('\n'),
    );
    const open = join(dir, 'open-now');
    await writeFile(open, 'public\n');
    await chmod(open, 0o644);
    const text = await describeAt(open, { content: 'NEWSECRET\n', mode: 'go=' });
    expect(text).not.toContain('NEWSECRET');
    expect(text).toContain('not shown: the file will not be readable by others');
    const source = join(dir, 'key-source');
    await writeFile(source, 'KEYSECRET\n');
    await chmod(source, 0o600);
    expect(await describeAt(join(dir, 'key-copy'), { state: 'exists', source })).not.toContain('KEYSECRET');
  });

  it('hides what a new file without a mode is to hold when the umask keeps others out (077)', async () => {
    const path = join(dir, 'umasked');
    const previous = process.umask(0o077);
    try {
      const text = await describeAt(path, { state: 'exists', content: 'NEWSECRET\n' });
      expect(text).not.toContain('NEWSECRET');
      expect(text).toContain('not shown: the file will not be readable by others');
    } finally {
      process.umask(previous);
    }
  });

  it('says nothing for a converged file', async () => {
    const path = join(dir, 'same');
    await writeFile(path, 'same\n');
    await chmod(path, 0o640);
    expect(await describeAt(path, { content: 'same\n', mode: '0640' })).toBeUndefined();
  });

  it('reports mode and owner changes', async () => {
    const path = join(dir, 'attrs');
    await writeFile(path, 'x');
    await chmod(path, 0o644);
    const { uid } = await stat(path);
    const text = await describeAt(path, { mode: 'u=rw,g=,o=', owner: 'nobody' });
    expect(text).toMatch(new RegExp(`^owner ${uid} -> nobody \\(\\d+\\)\nmode 0644 -> 0600$`));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  it('reports a removal, and a directory removed with its contents', async () => {
    const path = join(dir, 'gone');
    await writeFile(path, 'x');
    expect(await describeAt(path, { state: 'absent' })).toBe(`remove file ${path}`);
    await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
    expect(await describeAt(`${dir}/tree/`, { state: 'absent', recurse: true })).toBe(`remove directory ${dir}/tree and everything in it`);
  });

  it('summarises a directory sync by its first difference', async () => {
    const source = join(dir, 'src');
    const target = join(dir, 'dst');
    await mkdir(source);
    await mkdir(target);
    await writeFile(join(source, 'a'), 'a');
    await writeFile(join(source, 'b'), 'b');
    await writeFile(join(target, 'a'), 'a');
    const text = await describeAt(`${target}/`, { source: `${source}/`, recurse: true });
    expect(text).toBe(`directory ${target} differs (first difference: copy ${join(source, 'b')} to ${join(target, 'b')})`);
  });

  it('reports a symlink target change', async () => {
    const path = join(dir, 'link');
    await symlink('/etc/hostname', path);
    expect(await describeAt(path, { symlink: true, source: '/etc/hosts' })).toBe(`symlink ${path} -> /etc/hosts (now -> /etc/hostname)`);
  });

  it('summarises binary content by size', async () => {
    const path = join(dir, 'blob');
    await writeFile(path, Buffer.from([1, 0, 2]));
    expect(await describeAt(path, { content: 'text' })).toBe('content differs (binary or large: 3 bytes now, 4 bytes wanted)');
  });
});

describe('paths in a dry run', () => {
  it('are shown with control characters escaped, so a file name cannot forge a line of output', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'a\nfailed: file[x]: forged'), 'x');
    await mkdir(join(dir, 'dst'));
    const text = (await describeAt(`${dir}/dst/`, { state: 'exists', source: `${src}/`, recurse: true })) ?? '';
    expect(text).toContain('a\\x0afailed: file[x]: forged');
    expect(text.split('\n').some((line) => line.startsWith('failed:'))).toBe(false);
  });
});

describe('a dry run of a file with params an edge fills (QA: a new file said only "not shown", not that it would be created)', () => {
  /** What the dry run says when `received` are filled by edges; the params hold placeholders, as in a dry run. */
  async function describeReceiving(name: string, params: Partial<FileParams>, received: readonly string[], known: readonly string[] = []): Promise<string | undefined> {
    const file = await makeFile(name, params);
    try {
      return await file.res.describeReceivingChange(new AbortController().signal, new Set(received), new Set(known));
    } finally {
      await file.close();
    }
  }

  it('tells the creation and the mode of a new file, never the received content', async () => {
    const path = join(dir, 'secret');
    const text = await describeReceiving(path, { state: 'exists', content: 'PLACEHOLDER\n', mode: '0600' }, ['content']);
    expect(text).toBe(`create file ${path}\n(not shown: content received from another resource)\nmode 0600`);
  });

  it('shows no diff of an existing file whose content is received, even from a readable file', async () => {
    const path = join(dir, 'readable');
    await writeFile(path, 'an earlier secret\n');
    await chmod(path, 0o644);
    const text = await describeReceiving(path, { content: 'PLACEHOLDER\n', mode: '0640' }, ['content']);
    expect(text).toBe('(not shown: content received from another resource)\nmode 0644 -> 0640');
  });

  it('with the value the real run would receive, says nothing of the same content and that other content differs, never what (QA)', async () => {
    const path = join(dir, 'api.key');
    await writeFile(path, 'S3CRETVALUE');
    await chmod(path, 0o640);
    expect(await describeReceiving(path, { content: 'S3CRETVALUE', mode: '0600' }, ['content'], ['content'])).toBe('mode 0640 -> 0600');
    const text = await describeReceiving(path, { content: 'OTHERVALUE', mode: '0600' }, ['content'], ['content']);
    expect(text).toBe('content differs (not shown: received from another resource)\nmode 0640 -> 0600');
    // A placeholder (not known) is never compared.
    expect(await describeReceiving(path, { content: 'S3CRETVALUE', mode: '0600' }, ['content'])).toBe('(not shown: content received from another resource)\nmode 0640 -> 0600');
  });

  it('leaves out a received mode or owner and tells the rest', async () => {
    const shown = join(dir, 'shown');
    await writeFile(shown, 'old\n');
    await chmod(shown, 0o644);
    expect(await describeReceiving(shown, { content: 'new\n', owner: '0' }, ['owner'])).toContain('-old\n+new');
    const path = join(dir, 'conf');
    await writeFile(path, 'old\n');
    const text = await describeReceiving(path, { content: 'new\n', mode: '0644', owner: '0' }, ['mode', 'owner']);
    // Whether others could read the content depends on the received mode: not shown either.
    expect(text).toContain('content differs (not shown: its mode is received from another resource; 4 bytes now, 4 bytes wanted)');
    expect(text).not.toContain('new');
    expect(text).toContain('(not shown: owner received from another resource)');
    expect(text).toContain('(not shown: mode received from another resource)');
    expect(text).not.toMatch(/^mode 0/m);
    expect(text).not.toMatch(/^owner /m);
  });

  it('hides everything when a param it cannot leave out is received (the path itself)', async () => {
    const path = join(dir, 'somewhere');
    expect(await describeReceiving(path, { state: 'exists', content: 'x\n' }, ['path', 'content'])).toBe('(not shown: path, content received from another resource)');
  });
});

describe('a dry run of a copy or a join whose input another resource would change first (QA: told converged, then the real run changed it)', () => {
  it('would change when the engine says that writer would change, and says where the content comes from', async () => {
    const source = join(dir, 'gen');
    const copy = join(dir, 'copy');
    await writeFile(source, 'old\n');
    await writeFile(copy, 'old\n');
    const writer = await makeFile(source, { state: 'exists', content: 'generated\n' });
    const copier = await makeFile(copy, { state: 'exists', source });
    try {
      // The writer converged (as the engine tells): the copy is compared as it is.
      expect(await copier.checkApply(false)).toBe(true);
      copier.harness.setWouldChangeBefore([writer.res.resourceId]);
      expect(await copier.checkApply(false)).toBe(false);
      expect(await copier.res.describeChange(new AbortController().signal)).toBe(`content from ${source}, which another resource of this run writes first (not known in a dry run)`);
    } finally {
      await copier.close();
      await writer.close();
    }
  });
});

describe('a dry run of a join whose fragments folder holds a file another resource would change first (QA: the file on disk, a password in it, was shown in clear)', () => {
  it('would change and says which file of the folder is not known yet, showing none of it', async () => {
    const parts = join(dir, 'parts');
    await mkdir(parts);
    await writeFile(join(parts, '10-head'), 'password = ');
    await writeFile(join(parts, '20-pw'), 'old-s3cret\n');
    const joined = join(dir, 'app.conf');
    await writeFile(joined, 'edited\n');
    const writer = await makeFile(join(parts, '20-pw'), { state: 'exists', content: 'new-s3cret\n' });
    const joiner = await makeFile(joined, { state: 'exists', fragments: [`${parts}/`] });
    try {
      joiner.harness.setWouldChangeBefore([writer.res.resourceId]);
      expect(await joiner.checkApply(false)).toBe(false);
      const text = await joiner.res.describeChange(new AbortController().signal);
      expect(text).toBe(`content from ${join(parts, '20-pw')}, which another resource of this run writes first (not known in a dry run)`);
      // The writer would not change: the join is compared, and told, as it is.
      joiner.harness.setWouldChangeBefore([]);
      expect(await joiner.res.describeChange(new AbortController().signal)).toContain('+password = old-s3cret');
    } finally {
      await joiner.close();
      await writer.close();
    }
  });
});
