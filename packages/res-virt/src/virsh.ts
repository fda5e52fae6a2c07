import { execFile } from 'node:child_process';

/**
 * True when `virsh` reaches the same hypervisor as this process. The test
 * driver (`test:///...`) lives inside each process that opens it, so virsh
 * would only see its own, empty, copy.
 */
export function virshSharesDriver(uri: string): boolean {
  return !uri.startsWith('test:');
}

export class VirshError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(`virsh ${args.join(' ')} failed: ${stderr.trim() || 'no message'}`, options);
    this.name = 'VirshError';
  }
}

/**
 * Runs `virsh -c URI ARGS...` to do what @unraid/libvirt cannot (hot-plug
 * cpus and memory, autostart). Resolves with stdout; rejects with VirshError.
 */
export function virsh(uri: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  const full = ['-c', uri, ...args];
  return new Promise((resolve, reject) => {
    execFile('virsh', full, { signal, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new VirshError(args, stderr || error.message, { cause: error }));
      else resolve(stdout);
    });
  });
}
