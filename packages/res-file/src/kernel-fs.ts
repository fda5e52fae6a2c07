import { statfs } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { FS_ANSWER_TTL_MS } from './mount-table.js';

/**
 * The kernel's own file systems, where a file is an interface, not stored
 * bytes (`/proc/sys/net/ipv4/ip_forward`, `/sys/...`): its size says
 * nothing of what a read returns, and no file can be made beside it, so an
 * atomic write through a temp file and a rename is impossible. Magic
 * numbers as statfs(2) reports them.
 */
const KERNEL_FS_TYPES = new Set<number>([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x0027e0eb, // cgroup
  0x63677270, // cgroup2
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0x62656570, // configfs
  0xde5e81e4, // efivarfs
]);

const known = new Map<string, { readonly kernel: boolean; readonly at: number }>();

/** True when `dir` is on one of the kernel's own file systems; false when it is not, or cannot be asked. */
export async function isOnKernelFs(dir: string): Promise<boolean> {
  const answer = known.get(dir);
  if (answer !== undefined && performance.now() - answer.at <= FS_ANSWER_TTL_MS) return answer.kernel;
  let kernel = false;
  try {
    kernel = KERNEL_FS_TYPES.has(Number((await statfs(dir)).type));
  } catch {
    // A missing folder is reported by the check itself.
  }
  known.set(dir, { kernel, at: performance.now() });
  return kernel;
}
