import { isStreamedGraph, type GraphSpec, type ResolvedGraph, type SwapChanges } from '@converge/engine';
import { isEngineError } from '@converge/engine-api';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileWatch } from './file-watch.js';
import { fileVersion } from './file-version.js';
import { writerOf } from './open-writers.js';
import type { Reporter } from './reporter.js';
import { counted } from './counted.js';
import { swapSummary } from './swap-summary.js';

/** Saving a file is often several writes and a rename: wait for it to settle. */
const SETTLE_MS = 150;
/** How long a reload waits for a process that holds the graph file open for writing. */
const WRITER_WAIT_MS = 60_000;

/** A loaded graph: resolved (one host), or as written (a cluster agent composes and resolves it). */
type LoadedGraph = ResolvedGraph | GraphSpec;

export interface GraphReloaderOptions<G extends LoadedGraph = ResolvedGraph> {
  readonly graphFile: string;
  /** Loads and checks the graph, reporting problems; undefined when it does not load. */
  readonly load: () => Promise<G | undefined>;
  /** Swaps the new graph in, and says what changed when it knows; a throw leaves the running graph as it is. */
  readonly swap: (graph: G) => Promise<SwapChanges | void>;
  readonly reporter: Reporter;
  /** Follow the file's changes, through symlinks (false with --no-watch); SIGHUP always reloads. */
  readonly watchFile: boolean;
  /** True once the run is stopping: a swap refused then is not a problem to tell (the stop is). */
  readonly stopping?: () => boolean;
  /**
   * The file's version (fileVersion) taken before the running graph was
   * read from it: a save between that read and start() (while the first
   * graph starts) is caught up with at start().
   */
  readonly loadedVersion?: string | undefined;
}

/**
 * Hot reload: when the graph file is saved (or on SIGHUP), load it again and
 * swap it in. A graph that fails to load or check leaves the running graph
 * untouched and says why. Reloads run one at a time; a change during a
 * reload causes one more.
 */
export class GraphReloader<G extends LoadedGraph = ResolvedGraph> {
  readonly #options: GraphReloaderOptions<G>;
  #watch: FileWatch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  /** A wait for the graph file's writers is under way (see #changed). */
  #waitingForWriters = false;
  /** The graph file's version when it was last read (fileVersion). */
  #readVersion: string | undefined;
  #stopped = false;
  readonly #onHangup = (): void => this.reloadOnHangup();

  constructor(options: GraphReloaderOptions<G>) {
    this.#options = options;
  }

  start(): void {
    process.on('SIGHUP', this.#onHangup);
    // A graph read from standard input or a pipe has no file to watch (SIGHUP applies the text read at the start).
    if (!this.#options.watchFile || isStreamedGraph(this.#options.graphFile)) return;
    const { graphFile, reporter, loadedVersion } = this.#options;
    this.#readVersion = loadedVersion;
    this.#watch = new FileWatch(graphFile, () => this.#changed(), (message) => reporter.say(message));
    this.#watch.refresh();
    // Watched from now on; a save made before (after the running graph was read) is not an event any more.
    if (loadedVersion !== undefined && fileVersion(graphFile) !== loadedVersion) {
      reporter.say(`${graphFile} changed while the graph started`);
      this.#changed();
    }
  }

  /** The file changed: reload once it has settled and nobody writes it any more. */
  #changed(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // A symlink on the way may point elsewhere now: watch where it leads before reading it.
      this.#watch?.refresh();
      // One wait for the writers at a time: the writes that go on meanwhile
      // are events too, and each started a wait and a reload of its own (QA:
      // one save reloaded twice). The wait under way reads the file after them.
      if (this.#waitingForWriters) return;
      this.#waitingForWriters = true;
      void this.#afterWriters()
        .finally(() => {
          this.#waitingForWriters = false;
        })
        .then(() => {
          // The events of a save can outlast it (a close after the last write): the same file read again is no news.
          const version = fileVersion(this.#options.graphFile);
          if (!this.#stopped && (version === undefined || version !== this.#readVersion)) this.reload();
        });
    }, SETTLE_MS);
  }

  /** What SIGHUP does: says so, and reloads (the file watch, if any, looks again where a symlink leads). */
  reloadOnHangup(): void {
    this.#options.reporter.say('SIGHUP: reloading the graph');
    this.#watch?.refresh();
    this.reload();
  }

  /** Loads and swaps now (or once the reload under way has finished). */
  reload(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#reloadOnce().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.reload();
      }
    });
  }

  /** Resolves when no reload is under way. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  stop(): void {
    this.#stopped = true;
    process.off('SIGHUP', this.#onHangup);
    clearTimeout(this.#timer);
    this.#watch?.stop();
  }

  /**
   * Waits while another process has the graph file open for writing (a
   * graph read halfway through would be swapped in: the resources not yet
   * written would be removed, and reversed), up to WRITER_WAIT_MS.
   */
  async #afterWriters(): Promise<void> {
    const { graphFile, reporter } = this.#options;
    const deadline = Date.now() + WRITER_WAIT_MS;
    let told = false;
    for (let writer = await writerOf(graphFile); writer !== undefined && !this.#stopped; writer = await writerOf(graphFile)) {
      if (Date.now() >= deadline) {
        reporter.say(`${graphFile} is still open for writing (process ${writer}) after ${WRITER_WAIT_MS / 1000} s: reloading it as it is`);
        return;
      }
      if (!told) reporter.say(`${graphFile} changed; waiting for process ${writer} to finish writing it`);
      told = true;
      await sleep(SETTLE_MS);
    }
  }

  async #reloadOnce(): Promise<void> {
    const { graphFile, reporter } = this.#options;
    this.#readVersion = fileVersion(graphFile);
    const graph = await this.#options.load();
    if (!graph) {
      reporter.say(`${graphFile} was not reloaded; the running graph is unchanged`);
      return;
    }
    try {
      const changes = await this.#options.swap(graph);
      const { resources: written } = graph;
      const resources = 'size' in written ? written.size : written.length;
      const what = changes ? ` ${swapSummary(changes)}` : '';
      reporter.say(`reloaded ${graphFile}: ${counted(resources, 'resource')}, ${counted(graph.edges.length, 'edge')}${what}`);
    } catch (error) {
      if (!isEngineError(error)) throw error;
      if (this.#options.stopping?.()) return;
      reporter.problem(error);
      reporter.say(`${graphFile} was not reloaded; the running graph is unchanged`);
    }
  }
}
