/**
 * A graph built in TypeScript instead of YAML: a web root, a page whose text
 * comes from an input file, and a noop that is notified when the page
 * changes. A frontend watches the input file and hands the engine a new graph
 * each time it is saved; the engine swaps it in, keeping what did not change.
 *
 * Every param is type-checked against its kind: `content: 42`, a misspelled
 * `contnet:` or a send key the kind does not have are compile errors.
 *
 * In a project that depends on @converge/engine and @converge/res-file,
 * compile it with tsc (module nodenext) and run it, then edit the greeting:
 *
 *   echo hello > /tmp/greeting.txt
 *   node typescript-api.js /tmp/site /tmp/greeting.txt
 *   echo bonjour > /tmp/greeting.txt      # /tmp/site/index.html follows
 */
import { mkdtemp, readFile, watch } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine, GraphLoadError, graph, noopResource, runFrontend, type GraphFrontend, type ResolvedGraph } from '@converge/engine';
import { fileResource } from '@converge/res-file';

/** The site for one greeting. Rejects with GraphLoadError when it does not check out. */
export function siteGraph(root: string, greeting: string): Promise<ResolvedGraph> {
  const g = graph('site');
  // A path ending in / is a directory; res-file adds the edge dir -> page by itself (an autoedge).
  g.resource(fileResource, `${root}/`, { state: 'exists', mode: '0755' });
  const page = g.resource(
    fileResource,
    `${root}/index.html`,
    { state: 'exists', content: `<h1>${greeting}</h1>\n`, mode: '0644' },
    { meta: { retry: 2, delay: 500 } },
  );
  const published = g.resource(noopResource, 'published', { comment: 'refreshed whenever the page changes' });
  g.edge(page, published, { notify: true });
  return g.build();
}

/** How long a save is given to finish before the input is read. */
const SAVE_SETTLE_MS = 50;

/** Emits the site's graph now, then again each time the input file is saved with a new greeting. */
export function greetingFrontend(root: string, input: string): GraphFrontend {
  return {
    async *graphs(signal) {
      let last: string | undefined;
      const current = async (): Promise<ResolvedGraph | undefined> => {
        const greeting = (await readFile(input, 'utf8')).trim();
        if (greeting === last) return undefined;
        last = greeting;
        try {
          return await siteGraph(root, greeting);
        } catch (error) {
          // A bad input is reported; the running graph stays until the next save.
          if (error instanceof GraphLoadError) console.error(error.describe());
          else throw error;
          return undefined;
        }
      };
      const first = await current();
      if (first) yield first;
      try {
        // The folder is watched, not the file: editors often save by replacing it.
        for await (const change of watch(dirname(input), { signal })) {
          if (change.filename !== basename(input)) continue;
          // A save truncates, then writes: read once it has settled, not the empty file in between.
          await sleep(SAVE_SETTLE_MS);
          const next = await current();
          if (next) yield next;
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    },
  };
}

async function main(root: string, input: string): Promise<void> {
  const engine = new Engine({ stateDir: await mkdtemp(join(tmpdir(), 'converge-example-')) });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  engine.onStatus((status) => {
    if (status.state === 'converged' || status.state === 'failed') console.log(`${status.id}: ${status.state}`);
  });
  await runFrontend(engine, greetingFrontend(root, input), stop.signal, {
    onError: (error) => console.error(`kept the running graph: ${String(error)}`),
  });
  // Stopped with a resource still failed: say so, and exit non-zero.
  const failures = engine.failures();
  for (const failure of failures) console.error(`failed: ${failure.resource}: ${failure.message}`);
  await engine.stop();
  if (failures.length > 0) process.exitCode = 1;
}

const [script, root, input] = process.argv.slice(1);
if (script && import.meta.url === pathToFileURL(script).href) {
  if (!root || !input) {
    console.error('usage: typescript-api.js ROOT_DIR GREETING_FILE');
    process.exitCode = 2;
  } else {
    await main(root, input);
  }
}
