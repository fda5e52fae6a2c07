import type { ResolvedGraph } from '@converge/engine';
import { isEngineError } from '@converge/engine-api';
import { FileWatch } from './file-watch.js';
import type { Reporter } from './reporter.js';

/** Saving a file is often several writes and a rename: wait for it to settle. */
const SETTLE_MS = 150;

export interface GraphReloaderOptions {
  readonly graphFile: string;
  /** Loads and checks the graph, reporting problems; undefined when it does not load. */
  readonly load: () => Promise<ResolvedGraph | undefined>;
  /** Swaps the new graph in; a throw leaves the running graph as it is. */
  readonly swap: (graph: ResolvedGraph) => Promise<void>;
  readonly reporter: Reporter;
  /** Follow the file's changes, through symlinks (false with --no-watch); SIGHUP always reloads. */
  readonly watchFile: boolean;
}

/**
 * Hot reload: when the graph file is saved (or on SIGHUP), load it again and
 * swap it in. A graph that fails to load or check leaves the running graph
 * untouched and says why. Reloads run one at a time; a change during a
 * reload causes one more.
 */
export class GraphReloader {
  readonly #options: GraphReloaderOptions;
  #watch: FileWatch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  readonly #onHangup = (): void => {
    this.#options.reporter.say('SIGHUP: reloading the graph');
    this.#watch?.refresh();
    this.reload();
  };

  constructor(options: GraphReloaderOptions) {
    this.#options = options;
  }

  start(): void {
    process.on('SIGHUP', this.#onHangup);
    if (!this.#options.watchFile) return;
    const { graphFile, reporter } = this.#options;
    this.#watch = new FileWatch(
      graphFile,
      () => {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          // A symlink on the way may point elsewhere now: watch where it leads before reading it.
          this.#watch?.refresh();
          this.reload();
        }, SETTLE_MS);
      },
      (message) => reporter.say(message),
    );
    this.#watch.refresh();
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
    process.off('SIGHUP', this.#onHangup);
    clearTimeout(this.#timer);
    this.#watch?.stop();
  }

  async #reloadOnce(): Promise<void> {
    const { graphFile, reporter } = this.#options;
    const graph = await this.#options.load();
    if (!graph) {
      reporter.say(`${graphFile} was not reloaded; the running graph is unchanged`);
      return;
    }
    try {
      await this.#options.swap(graph);
      reporter.say(`reloaded ${graphFile}: ${graph.resources.size} resources, ${graph.edges.length} edges`);
    } catch (error) {
      if (!isEngineError(error)) throw error;
      reporter.problem(error);
      reporter.say(`${graphFile} was not reloaded; the running graph is unchanged`);
    }
  }
}
