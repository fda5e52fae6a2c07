/**
 * Linux's limits on a path handed to a system call: PATH_MAX (4096 bytes,
 * counting the terminating NUL) for the whole path and NAME_MAX (255 bytes)
 * for each name in it. A longer path can never be made, read or watched:
 * every call on it fails with ENAMETOOLONG.
 */
export const PATH_MAX_BYTES = 4095;
export const NAME_MAX_BYTES = 255;

/** How a long name is shown in a message: its start, enough to find it. */
function shortened(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

/** What is too long in `path` (measured in UTF-8 bytes, as the kernel counts), or undefined. */
export function pathLengthProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > PATH_MAX_BYTES) return `is ${bytes} bytes long; a path may be at most ${PATH_MAX_BYTES} bytes (PATH_MAX)`;
  for (const name of path.split('/')) {
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes > NAME_MAX_BYTES) {
      return `has a name of ${nameBytes} bytes ("${shortened(name)}"); a name may be at most ${NAME_MAX_BYTES} bytes (NAME_MAX)`;
    }
  }
  return undefined;
}
