import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built command, run exactly as a user would. */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
/** The repository root, where examples/ lives. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its standard input, which is then closed (otherwise it has none). */
  readonly stdin?: string;
  /** Its standard input is a pipe that stays open, written to by nobody (as `sleep 60 | converge run -`). */
  readonly stdinOpen?: boolean;
  /** A command that runs converge, as `unshare -u` does (it must exec it, so that signals reach converge). */
  readonly wrapper?: readonly [string, ...string[]];
}

/** A running `converge` process whose output can be awaited. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly result: Promise<CliResult>;
  readonly #listeners = new Set<() => void>();

  constructor(args: readonly string[], options: CliOptions = {}) {
    const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, BIN, ...args] as [string, ...string[]];
    this.child = spawn(command, commandArgs, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: [options.stdin === undefined && !options.stdinOpen ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.stdin !== undefined) this.child.stdin?.end(options.stdin);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#append('stdout', chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#append('stderr', chunk));
    this.result = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** Resolves once `pattern` shows up on stdout or stderr; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(this.stdout) && !pattern.test(this.stderr)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Kills the process if it is still running (test cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  #append(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    for (const listener of [...this.#listeners]) listener();
  }
}

const running = new Set<CliProcess>();

/** Starts `converge ARGS`; every process started is killed by `killAll` (afterEach). */
export function startCli(args: readonly string[], options?: CliOptions): CliProcess {
  const cli = new CliProcess(args, options);
  running.add(cli);
  void cli.result.finally(() => running.delete(cli)).catch(() => {});
  return cli;
}

/** Runs `converge ARGS` to the end; fails the test if it takes longer than `timeoutMs`. */
export async function runCli(
  args: readonly string[],
  options: CliOptions & { readonly timeoutMs?: number } = {},
): Promise<CliResult> {
  const cli = startCli(args, options);
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.kill();
      reject(new Error(`converge ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([cli.result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function killAll(): void {
  for (const cli of running) cli.kill();
}
