import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { hostname as systemHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields, Logger, ReceivedValue, ResourceContext, World } from '@converge/engine-api';
import { LocalWorld } from '@converge/engine';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One line a resource wrote through `ctx.log`. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

export interface TestContextOptions {
  /** The resource's kind; default `test`. */
  readonly kind?: string;
  /** The resource's name; default `test`. */
  readonly name?: string;
  /** `ctx.hostname` and the world's hostname; default the system's. */
  readonly hostname?: string;
  /**
   * Parent folder for `ctx.varDir()`. Given, the resource's folder is
   * `<varDir>/<kind>/<name>` and stays the same across contexts, so state
   * can be seen surviving a new instance; left out, each context gets a fresh
   * temp folder under the system temp dir.
   */
  readonly varDir?: string;
  /** `ctx.polled`: the resource is polled (`meta: {poll}`) instead of watched; default false. */
  readonly polled?: boolean;
  /** `ctx.receives`: the params send/recv edges fill; default none. */
  readonly receives?: readonly string[];
}

/** A hand-driven `ResourceContext` plus what a test needs to observe it. */
export interface TestContext<P extends object, S extends object> {
  readonly ctx: ResourceContext<P, S>;
  /** How many times `ctx.event()` was called. */
  events(): number;
  /**
   * Resolves on the next `ctx.event()` after this call; rejects when none
   * comes within `timeoutMs` (default 5000).
   */
  waitForEvent(timeoutMs?: number): Promise<void>;
  /** Every value passed to `ctx.send`, merged (later calls win). */
  sent(): Partial<S>;
  /** What `ctx.refresh()` answers from now on. */
  setRefresh(on: boolean): void;
  /** The ids for which `ctx.wouldChangeBefore(id)` answers true from now on (a dry run under parents that would change). */
  setWouldChangeBefore(ids: readonly string[]): void;
  /** What `ctx.recv()` answers from now on. */
  setReceived(received: ReadonlyMap<keyof P & string, ReceivedValue> | Partial<Record<keyof P & string, ReceivedValue>>): void;
  /** Every line logged through `ctx.log`, oldest first. */
  logs(): LogEntry[];
  /** Every value declared with `ctx.secret`, oldest first. */
  secrets(): string[];
  /** Removes the temp folder `ctx.varDir()` made (a given `varDir` is left alone). */
  dispose(): Promise<void>;
}

const DEFAULT_EVENT_TIMEOUT_MS = 5000;

/** Folder names are kept to safe characters so any resource name maps to one folder. */
function safeSegment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]+/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}

export function createTestContext<P extends object = object, S extends object = object>(
  options: TestContextOptions = {},
): TestContext<P, S> {
  const kind = options.kind ?? 'test';
  const name = options.name ?? 'test';
  const hostname = options.hostname ?? systemHostname();
  const id = `${kind}[${name}]`;
  const world: World = new LocalWorld(hostname);

  let eventCount = 0;
  const eventWaiters = new Set<() => void>();
  let refresh = false;
  let changingParents: ReadonlySet<string> = new Set();
  let received: ReadonlyMap<keyof P & string, ReceivedValue> = new Map();
  let sentValues: Partial<S> = {};
  const declaredSecrets: string[] = [];
  const logLines: LogEntry[] = [];
  let ownDir: Promise<string> | undefined;

  const logLine = (level: LogLevel) => (message: string, fields?: LogFields) => {
    logLines.push({ level, message, fields });
  };
  const log: Logger = { debug: logLine('debug'), info: logLine('info'), warn: logLine('warn'), error: logLine('error') };

  const baseDir = (): Promise<string> => {
    ownDir ??= (async () => {
      if (options.varDir === undefined) return mkdtemp(join(tmpdir(), `converge-${safeSegment(kind)}-`));
      const dir = join(options.varDir, safeSegment(kind), safeSegment(name));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return dir;
    })();
    return ownDir;
  };

  const ctx: ResourceContext<P, S> = {
    kind,
    name,
    id,
    hostname,
    log,
    world,
    polled: options.polled ?? false,
    receives: new Set(options.receives ?? []),
    event() {
      eventCount++;
      const waiters = [...eventWaiters];
      eventWaiters.clear();
      for (const wake of waiters) wake();
    },
    refresh: () => refresh,
    wouldChangeBefore: (parent) => changingParents.has(parent),
    send(values) {
      sentValues = { ...sentValues, ...values };
    },
    secret(value) {
      declaredSecrets.push(value);
    },
    recv: () => received,
    async varDir(sub?: string) {
      const dir = await baseDir();
      if (sub === undefined) return dir;
      // Same rule as the engine: one folder level, no escaping the resource's dir.
      if (sub.includes('/') || sub === '..' || sub === '.' || sub === '') throw new Error(`varDir: bad folder name '${sub}'`);
      const subDir = join(dir, sub);
      await mkdir(subDir, { recursive: true, mode: 0o700 });
      return subDir;
    },
  };

  return {
    ctx,
    secrets: () => [...declaredSecrets],
    events: () => eventCount,
    waitForEvent(timeoutMs = DEFAULT_EVENT_TIMEOUT_MS) {
      return new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          eventWaiters.delete(wake);
          reject(new Error(`${id}: no ctx.event() call within ${timeoutMs} ms (after ${eventCount} events so far)`));
        }, timeoutMs);
        eventWaiters.add(wake);
      });
    },
    sent: () => ({ ...sentValues }),
    setRefresh(on) {
      refresh = on;
    },
    setWouldChangeBefore(ids) {
      changingParents = new Set(ids);
    },
    setReceived(next) {
      received = next instanceof Map ? new Map(next) : (new Map(Object.entries(next)) as Map<keyof P & string, ReceivedValue>);
    },
    logs: () => [...logLines],
    async dispose() {
      if (options.varDir !== undefined || ownDir === undefined) return;
      await rm(await ownDir, { recursive: true, force: true });
    },
  };
}
