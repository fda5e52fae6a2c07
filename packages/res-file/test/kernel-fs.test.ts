import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isOnKernelFs } from '../src/kernel-fs.js';
import { makeFile } from './helpers.js';

// The kernel's own files (proc, sysfs) report a size that says nothing of
// their content, and nothing can be made beside them. Writing one for real
// changes the machine: that is tested in a UTS namespace of its own, by the
// CLI tests (kernel-file.test.ts there).

describe('files of the kernel file systems', () => {
  it('knows /proc and /sys from a disk or tmpfs folder', async () => {
    expect(await isOnKernelFs('/proc/sys/kernel')).toBe(true);
    expect(await isOnKernelFs('/sys/kernel')).toBe(true);
    expect(await isOnKernelFs('/tmp')).toBe(false);
  });

  it('finds a /proc file whose content is already the wanted one in sync, although its size says 0', async () => {
    const current = await readFile('/proc/sys/kernel/ostype', 'utf8');
    const same = await makeFile('/proc/sys/kernel/ostype', { content: current });
    expect(await same.checkApply(true)).toBe(true);
    await same.close();
  });

  it('reports a different content as a change in a dry run, and changes nothing', async () => {
    const before = await readFile('/proc/sys/kernel/ostype', 'utf8');
    const other = await makeFile('/proc/sys/kernel/ostype', { content: 'Plan9\n' });
    expect(await other.checkApply(false)).toBe(false);
    expect(await readFile('/proc/sys/kernel/ostype', 'utf8')).toBe(before);
    await other.close();
  });

  it('takes a value the kernel shows with or without a final newline as the same', async () => {
    const current = (await readFile('/proc/sys/kernel/ostype', 'utf8')).trimEnd();
    const bare = await makeFile('/proc/sys/kernel/ostype', { content: current });
    expect(await bare.checkApply(true)).toBe(true);
    await bare.close();
  });

  it('refuses to remove a kernel file or to set its mode, owner or group, before anything is written', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ state: 'absent' }, /where files cannot be removed/],
      [{ content: 'x\n', mode: '0600' }, /mode, owner and group are the kernel's/],
      [{ content: 'x\n', owner: 'nobody' }, /mode, owner and group are the kernel's/],
    ];
    for (const [params, message] of cases) {
      const refused = await makeFile('/proc/sys/kernel/ostype', params);
      await expect(refused.checkApply(false)).rejects.toMatchObject({ message: expect.stringMatching(message) });
      await refused.close();
    }
  });

  it('says a file the kernel does not offer cannot be made, without trying', async () => {
    const missing = await makeFile('/proc/sys/kernel/no-such-setting', { state: 'exists', content: '1\n' });
    await expect(missing.checkApply(true)).rejects.toMatchObject({
      message: expect.stringMatching(/is on a kernel file system \(proc, sysfs…\), where no new file can be made/),
    });
    await missing.close();
  });
});
