import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { RunFlags } from './commands/run.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { prometheusAddress } from './prometheus-flags.js';
import { parseConvergerTimeout, parseMaxRuntime } from './options.js';

/**
 * mgmt's `run` command line, as converge takes it: users coming from mgmt
 * keep their scripts. Each of mgmt's flags is either done with mgmt's
 * meaning, taken because what it asks for is what converge does anyway, or
 * refused with what to do instead (exit 2, nothing applied): a flag that
 * asks for something converge cannot do is never dropped silently.
 */

const NO_ETCD_SERVER = 'converge starts no etcd server of its own: run etcd and join it with --seeds URL';
const NO_SSH = 'converge does not reach etcd over SSH: forward a port (ssh -L 2379:localhost:2379 HOST) and give --seeds http://localhost:2379';
const NO_PGP = 'converge makes and uses no PGP keys';

/** mgmt's flags converge refuses, each with what to do instead. Left out of the option list of --help, named below it. */
const REFUSED: ReadonlyArray<{ readonly flags: string; readonly instead: string }> = [
  {
    flags: '--graphviz-filter <program>',
    instead: 'converge runs no Graphviz program: --graphviz FILE writes the dot text (draw it with `dot -Tpng -o FILE.png FILE`), and `converge graph --format svg GRAPH` draws the graph without Graphviz',
  },
  { flags: '--client-urls <urls>', instead: NO_ETCD_SERVER },
  { flags: '--server-urls <urls>', instead: NO_ETCD_SERVER },
  { flags: '--advertise-client-urls <urls>', instead: NO_ETCD_SERVER },
  { flags: '--advertise-server-urls <urls>', instead: NO_ETCD_SERVER },
  { flags: '--ideal-cluster-size <n>', instead: NO_ETCD_SERVER },
  { flags: '--ssh-url <url>', instead: NO_SSH },
  { flags: '--ssh-hostkey <key>', instead: NO_SSH },
  { flags: '--pgp-key-path <path>', instead: NO_PGP },
  { flags: '--pgp-identity <identity>', instead: NO_PGP },
  { flags: '--no-autoedges', instead: 'converge has no switch for the whole graph: set meta: {autoedge: false} on the resources whose autoedges are not wanted' },
  {
    flags: '--allow-tmp-prefix',
    instead: 'converge does not fall back to a temporary state directory when its own cannot be made (what meta: {reverse: true} keeps would be lost at exit): give a writable one with --prefix DIR, or ask for --tmp-prefix',
  },
];

/** mgmt's frontends other than yaml: `run lang main.mcl`. */
const OTHER_FRONTENDS = new Set(['lang', 'puppet', 'langpuppet']);

/** What commander gives for mgmt's flags. */
export interface MgmtRunFlags {
  readonly convergedTimeout?: number;
  readonly convergedTimeoutNoExit?: boolean;
  readonly yaml?: string;
  /** false with --no-stream-watch. */
  readonly streamWatch?: boolean;
  /** false with --no-deploy-watch. */
  readonly deployWatch?: boolean;
  /** false with --no-network. */
  readonly network?: boolean;
  /** mgmt's --prometheus-listen: where its --prometheus switch listens. */
  readonly prometheusListen?: ListenAddress;
  readonly [refused: string]: unknown;
}

/** --prometheus as commander gives it: an address (converge's form), or mgmt's switch (see prometheus-flags). */
export type CommanderFlags<T extends RunFlags> = Omit<T, 'prometheus'> & MgmtRunFlags & { readonly prometheus?: ListenAddress | boolean };

/** Adds mgmt's `run` flags (those converge spells its own way, does, takes or refuses) to `command`. */
export function addMgmtRunOptions(command: Command): Command {
  command
    .addOption(
      new Option('--converged-timeout <seconds>', "mgmt's spelling: --converger-timeout N --converged-exit (the exit left out with --converged-timeout-no-exit)")
        .argParser(parseConvergerTimeout)
        .conflicts(['convergerTimeout', 'convergedExit']),
    )
    .option('--converged-timeout-no-exit', "with --converged-timeout: keep running once converged, as mgmt's flag of that name (alone it does nothing, as in mgmt)")
    .option('--yaml <graph>', "mgmt's spelling of the graph file (`run yaml FILE`, `run yaml --yaml FILE` and `run --yaml FILE` all work)")
    .addOption(new Option('--max-runtime <seconds>', "as mgmt's flag: stop after N seconds, as SIGTERM would (0 = no limit)").argParser(parseMaxRuntime))
    .option('--converged-status-file <path>', "as mgmt's flag: append true or false to this file each time the converged state changes (needs a converger timeout)")
    .addOption(
      new Option('--prometheus-listen <address>', "as mgmt's flag: where a bare --prometheus (mgmt's switch) serves metrics, as HOST:PORT or :PORT (every interface)").argParser(
        parseListenAddress,
      ),
    )
    .option('--graphviz <file>', 'as mgmt\'s flag: write the running graph in Graphviz dot to this file at the start and at each reload (as `converge graph` prints it)')
    .option('--no-stream-watch', "mgmt's spelling of --no-watch")
    .option('--no-deploy-watch', "mgmt's flag: taken; an agent given a graph file (or without --seeds) follows no deploys anyway")
    .option('--no-network', "mgmt's flag: taken; without --seeds converge joins no cluster and listens only where --ui/--prometheus say")
    .option('--no-pgp', "mgmt's flag: taken; converge makes no PGP keys")
    .option('--no-server', "mgmt's flag: taken; converge starts no etcd server of its own")
    .option('--no-raise-limits', "mgmt's flag: taken; converge does not raise inotify limits");
  for (const { flags } of REFUSED) command.addOption(new Option(flags).hideHelp());
  return command.addHelpText(
    'after',
    `\nmgmt's flags converge refuses, saying what to do instead (exit 2, nothing applied):\n${wrapped(REFUSED.map(({ flags }) => flagName(flags)))}\n`,
  );
}

/**
 * The graph file and converge's flags for mgmt's command line, or the usage
 * problem that stops the run before anything is applied. `graph` and `file`
 * are the positional words: `run FILE`, or mgmt's `run yaml FILE`.
 */
export function fromMgmtRunFlags<T extends RunFlags>(
  graph: string | undefined,
  file: string | undefined,
  given: CommanderFlags<T>,
): { readonly graphFile: string | undefined; readonly flags: T } | { readonly problem: string } {
  const refused = REFUSED.find(({ flags: spelling }) => isGiven(spelling, given));
  if (refused) return { problem: `${flagName(refused.flags)}: ${refused.instead}` };
  const graphFile = graphFileFrom(graph, file, given.yaml);
  if (typeof graphFile === 'object') return graphFile;
  const prometheus = prometheusAddress(given.prometheus, given.prometheusListen);
  if ('problem' in prometheus) return prometheus;
  const { prometheus: _given, ...rest } = given;
  const flags = { ...rest, ...(prometheus.address ? { prometheus: prometheus.address } : {}) } as unknown as T & MgmtRunFlags;
  const problem =
    flags.network === false && flags.seeds
        ? '--no-network runs one host on its own, and --seeds joins a cluster: give one of them'
        : flags.network === false && [flags.ui, flags.prometheus].some((address) => address && !address.loopback)
          ? '--no-network opens no port to other machines: give --ui and --prometheus a loopback address (127.0.0.1:PORT)'
          : flags.deployWatch === false && flags.seeds && graphFile === undefined
            ? "--no-deploy-watch: an agent without a graph file follows the cluster's deploys; to run one graph and no other, give its file"
            : undefined;
  if (problem) return { problem };
  const { convergedTimeout, convergedTimeoutNoExit, streamWatch } = flags;
  const own = Object.fromEntries(Object.entries(flags).filter(([name]) => !MGMT_ONLY.has(name))) as unknown as T;
  const told = { ...own, ...flagWarnings(flags) };
  const watching = streamWatch === false ? { ...told, watch: false } : told;
  const converged =
    convergedTimeout === undefined
      ? watching
      : // -1 is mgmt's "never": there is nothing to exit on.
        { ...watching, convergerTimeout: convergedTimeout, convergedExit: convergedTimeout >= 0 && convergedTimeoutNoExit !== true };
  if (converged.convergedExit && converged.convergerTimeout === -1) {
    return { problem: '--converged-exit needs a converger timeout: add --converger-timeout N (seconds; 0 = as soon as converged)' };
  }
  if (converged.convergedStatusFile !== undefined && converged.convergerTimeout === -1) {
    return {
      problem:
        '--converged-status-file needs a converger timeout (without one the graph never counts as converged and nothing would be written): ' +
        'add --converger-timeout N, or mgmt\'s --converged-timeout N --converged-timeout-no-exit',
    };
  }
  return { graphFile, flags: converged };
}

/**
 * mgmt's switches taken with nothing to do: mgmt accepts them so (its
 * scripts and unit files pass them), and so does converge, saying so.
 * `--converged-timeout-no-exit` alone: mgmt's converged timeout is then -1,
 * never, so there is no exit to leave out.
 */
function flagWarnings(flags: MgmtRunFlags): Pick<RunFlags, 'flagWarnings'> {
  if (!flags.convergedTimeoutNoExit || flags.convergedTimeout !== undefined) return {};
  return {
    flagWarnings: [
      '--converged-timeout-no-exit has no effect without --converged-timeout N, as in mgmt: whether the run exits once converged is --converged-exit\'s to say (with --converger-timeout N)',
    ],
  };
}

/** Commander's names for mgmt's flags that are not converge's own (`--no-pgp` is `pgp`, false when given), left out of RunFlags. */
const MGMT_ONLY = new Set([
  'convergedTimeout',
  'convergedTimeoutNoExit',
  'yaml',
  'streamWatch',
  'deployWatch',
  'network',
  'pgp',
  'server',
  'raiseLimits',
  'prometheusListen',
  ...REFUSED.map(({ flags }) => new Option(flags).attributeName()),
]);

/** `--client-urls` of `--client-urls <urls>`. */
function flagName(flags: string): string {
  return new Option(flags).long ?? flags;
}

/** Flag names as comma-separated lines of --help, indented, each under 80 columns. */
function wrapped(names: readonly string[]): string {
  const lines: string[] = [];
  for (const name of names) {
    const last = lines.length - 1;
    if (last >= 0 && `${lines[last]}, ${name}`.length <= 78) lines[last] = `${lines[last]}, ${name}`;
    else lines.push(`  ${name}`);
  }
  return lines.join(',\n');
}

function isGiven(spelling: string, flags: MgmtRunFlags): boolean {
  const option = new Option(spelling);
  const value = flags[option.attributeName()];
  return option.negate ? value === false : value !== undefined;
}

/** `run FILE`, `run --yaml FILE`, mgmt's `run yaml FILE` and `run yaml --yaml FILE`. */
function graphFileFrom(graph: string | undefined, file: string | undefined, yaml: string | undefined): string | undefined | { readonly problem: string } {
  if (file !== undefined) {
    if (graph !== 'yaml') {
      return OTHER_FRONTENDS.has(graph ?? '')
        ? { problem: `mgmt's ${graph} frontend is not supported: graphs are read in mgmt's YAML format only (\`run yaml FILE\`)` }
        : { problem: `two graph files given: ${graph} and ${file}; give one` };
    }
    if (yaml !== undefined) return { problem: `two graph files given: ${file} and --yaml ${yaml}; give one` };
    return file;
  }
  if (yaml !== undefined && graph !== undefined && graph !== 'yaml') return { problem: `two graph files given: ${graph} and --yaml ${yaml}; give one` };
  // mgmt's `run yaml --yaml FILE`: the word yaml names its graph frontend, the file follows --yaml.
  // mgmt's `run yaml` names the frontend: without a file after it, there is no graph (unless a file is called yaml).
  if (graph === 'yaml' && yaml === undefined && !existsSync('yaml')) return { problem: '`run yaml` needs the graph file after it: run yaml FILE (or run FILE)' };
  return yaml ?? graph;
}
