import { Command, CommanderError, Option } from 'commander';
import type { graphCommand } from './commands/graph.js';
import type { deployCommand } from './commands/deploy.js';
import type { runCommand } from './commands/run.js';
import type { commandLineReporter } from './command-line-reporter.js';
import { asksForJsonLines } from './json-lines-flag.js';
import { earlySignals, type EarlySignals } from './early-signals.js';
import type { retireCommand } from './commands/retire.js';
import type { statusCommand } from './commands/status.js';
import { parseSeeds } from './cluster/seeds.js';
import type { schemaCommand } from './commands/schema.js';
import type { validateCommand } from './commands/validate.js';
import { ExitCode } from './exit-codes.js';
import { collect, LOG_LEVELS, parseConvergerTimeout, parseHostname, parsePrefix, parseSema } from './options.js';
import { addMgmtRunOptions, fromMgmtRunFlags, type CommanderFlags } from './mgmt-run-flags.js';
import { GRAPH_FORMATS } from './render/formats.js';
import { parseListenAddress } from './listen-address.js';
import { MGMT_PROMETHEUS_ADDRESS, parsePrometheusValue, withBarePrometheus } from './prometheus-flags.js';
import { withSwitchValues } from './switch-values.js';
import { versionText } from './version.js';

const EXAMPLES = `
Examples:
  converge run --converger-timeout=0 --converged-exit examples/hello.yaml
      apply a graph once and exit when it has converged
  converge run --tmp-prefix --plugin ./my-plugin graph.yaml
      keep a graph converged (until Ctrl-C), with a local plugin and throwaway state
  converge validate graph.yaml
      check a graph without running anything
  converge graph --format svg graph.yaml > graph.svg
      draw the graph as it would run (autoedges and groups included)
  converge schema -o converge.schema.json
      write a JSON Schema of graph files for the YAML language server (editor completion)

Exit codes: 0 ok, 1 a resource failed (or --converged-exit stopped before converging), 2 bad input or usage (nothing applied).
`;

/** For every command that takes it: the command-line reporter reads it from argv too (asksForJsonLines). */
const logJsonOption = (): Option => new Option('--log-json', 'write logs as JSON lines on stderr');

const pluginOption = (): Option =>
  new Option('--plugin <name-or-dir>', 'load a plugin package by name or from a folder (repeatable)')
    .argParser(collect)
    .default([], 'none');

/**
 * Builds the command line. `setExitCode` receives the outcome of the command
 * that ran; usage errors surface as CommanderError (exitOverride). Each
 * command's code is loaded when it runs, not here: `--help`, `--version` and
 * a usage error need none of it (the engine, the etcd client, the web view),
 * which took most of a second to load.
 */
function buildProgram(setExitCode: (code: ExitCode) => void, signals: EarlySignals, jsonLines: JsonLines): Command {
  const program = new Command('converge')
    .description('Event-driven, parallel configuration management: apply a graph of resources and keep it applied.')
    .version(versionText(), '-V, --version', 'print the version of converge and of its resource API')
    .exitOverride()
    .addHelpText('after', EXAMPLES);
  // `--log-json`: a usage error is a JSON line too, its hint in a field (subcommands inherit this).
  if (jsonLines) program.configureOutput({ outputError: (text) => tellUsageProblem(text.replace(/^error: /, '').trim(), jsonLines) });
  else program.showHelpAfterError(`(${USAGE_HINT})`);

  const run = program
    .command('run')
    .description('apply a graph and keep converging it until stopped (SIGINT/SIGTERM)')
    .argument('[graph]', 'the graph file (mgmt YAML format); optional with --seeds (runs the newest deploy)')
    .argument('[file]', "with mgmt's `run yaml FILE`: the graph file")
    .addOption(new Option('--seeds <urls>', 'join the cluster of these etcd client URLs (comma-separated) instead of the local world').argParser(parseSeeds))
    .addOption(
      new Option('--converger-timeout <seconds>', 'seconds with nothing changed and nothing running to count as converged; -1 = never, 0 = at once')
        .argParser(parseConvergerTimeout)
        .default(-1),
    )
    .option('--converged-exit', 'exit once the graph has converged (needs --converger-timeout)')
    .option('--noop', 'check only: change nothing, report what would change')
    .addOption(new Option('--sema <n>', 'at most N changes at once across the graph (0 = no limit)').argParser(parseSema).default(0))
    .addOption(
      new Option('--prefix <dir>', 'state directory (default /var/lib/converge, or ~/.local/state/converge when not root)').conflicts('tmpPrefix').argParser(parsePrefix),
    )
    .option('--tmp-prefix', 'use a fresh temporary state directory, removed at exit')
    .addOption(new Option('--hostname <name>', "this host's name (default: the system's)").argParser(parseHostname))
    .addOption(pluginOption())
    .addOption(new Option('--log-level <level>', 'least severe log level shown').choices(LOG_LEVELS).default('info'))
    .addOption(logJsonOption())
    .option('--no-watch', 'do not reload the graph when its file changes (SIGHUP still reloads)')
    .addOption(new Option('--ui <[host:]port>', 'serve a live web view of the graph and its states (default host 127.0.0.1; port 0 = any free)').argParser(parseListenAddress))
    .addOption(
      new Option(
        '--prometheus [[host:]port]',
        `serve Prometheus metrics at /metrics (default host 127.0.0.1; port 0 = any free); alone, as mgmt's switch: at --prometheus-listen, or ${MGMT_PROMETHEUS_ADDRESS}`,
      ).argParser(parsePrometheusValue),
    );
  addMgmtRunOptions(run).action(
    async (graph: string | undefined, file: string | undefined, flags: CommanderFlags<Parameters<typeof runCommand>[1]>) => {
      const taken = fromMgmtRunFlags(graph, file, flags);
      if ('problem' in taken) {
        signals.release();
        const { commandLineReporter } = await import('./command-line-reporter.js');
        commandLineReporter(flags.logJson === true, flags.hostname).failure({ code: 'ERR_USAGE', message: taken.problem });
        setExitCode(ExitCode.badInput);
        return;
      }
      const { runCommand } = await import('./commands/run.js');
      setExitCode(await runCommand(taken.graphFile, taken.flags, signals));
    },
  );

  program
    .command('validate')
    .description('load and check a graph (plugins, params, edges, cycles) without running it')
    .argument('<graph>', 'the graph file (mgmt YAML format)')
    .addOption(pluginOption())
    .action(async (graph: string, flags: Parameters<typeof validateCommand>[1]) => {
      const { validateCommand } = await import('./commands/validate.js');
      setExitCode(await validateCommand(graph, flags, signals));
    });

  program
    .command('graph')
    .description('print the graph as it would run (after autoedges and autogroup); ids only, never param values')
    .argument('<graph>', 'the graph file (mgmt YAML format)')
    .addOption(new Option('--format <format>', 'output format').choices(GRAPH_FORMATS).default('dot'))
    .addOption(pluginOption())
    .action(async (graph: string, flags: Parameters<typeof graphCommand>[1]) => {
      const { graphCommand } = await import('./commands/graph.js');
      setExitCode(await graphCommand(graph, flags, signals));
    });

  program
    .command('schema')
    .description('write the JSON Schema of graph files (from the installed plugins) for editor completion and checks')
    .option('-o, --output <file>', 'write the schema to this file instead of stdout')
    .addOption(pluginOption())
    .addOption(logJsonOption())
    .action(async (flags: Parameters<typeof schemaCommand>[0]) => {
      const { schemaCommand } = await import('./commands/schema.js');
      setExitCode(await schemaCommand(flags));
    });

  program
    .command('deploy')
    .description("check a graph and store its text in the cluster as the next deploy (agents run without a graph swap to it); its plugins do not go with it: every agent needs them")
    .argument('<graph>', 'the graph file (mgmt YAML format)')
    .requiredOption('--seeds <urls>', 'etcd client URLs of the cluster (comma-separated)', parseSeeds)
    .addOption(pluginOption())
    .addOption(logJsonOption())
    .action(async (graph: string, flags: Parameters<typeof deployCommand>[1]) => {
      const { deployCommand } = await import('./commands/deploy.js');
      setExitCode(await deployCommand(graph, flags));
    });

  program
    .command('status')
    .description("print every live host's status in the cluster (converged, deploy, resources, a deploy it refused)")
    .requiredOption('--seeds <urls>', 'etcd client URLs of the cluster (comma-separated)', parseSeeds)
    .option('--json', 'print one JSON object on stdout')
    .addOption(logJsonOption())
    .action(async (flags: Parameters<typeof statusCommand>[0]) => {
      const { statusCommand } = await import('./commands/status.js');
      setExitCode(await statusCommand(flags));
    });

  program
    .command('retire')
    .description('remove the exports a host that is gone for good left in the cluster (refused while it runs)')
    .argument('<host>', 'the host name, as `converge status` listed it', parseHostname)
    .requiredOption('--seeds <urls>', 'etcd client URLs of the cluster (comma-separated)', parseSeeds)
    .addOption(logJsonOption())
    .action(async (host: string, flags: Parameters<typeof retireCommand>[1]) => {
      const { retireCommand } = await import('./commands/retire.js');
      setExitCode(await retireCommand(host, flags));
    });

  return program;
}

const USAGE_HINT = 'add --help for usage';

/** The command-line reporter when the command line asks for JSON lines, else undefined (plain text). */
type JsonLines = typeof commandLineReporter | undefined;

/** A usage problem as commander tells its own (`error: …` and the hint), or one JSON line with the hint as a field. */
function tellUsageProblem(problem: string, jsonLines: JsonLines): void {
  if (jsonLines) jsonLines(true).failure({ code: 'ERR_USAGE', message: problem, hint: USAGE_HINT });
  else process.stderr.write(`error: ${problem}\n(${USAGE_HINT})\n`);
}

const SIGNALS_KEPT_BY = new Set(['run', 'validate', 'graph']);

/** Runs `converge` with `argv` (as in process.argv) and returns the exit code. */
export async function main(argv: readonly string[], signals: EarlySignals = earlySignals()): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.ok;
  // Loaded only for --log-json: a usage problem must then be told as a JSON line, from commander's synchronous callback.
  const jsonLines: JsonLines = asksForJsonLines(argv) ? (await import('./command-line-reporter.js')).commandLineReporter : undefined;
  const program = buildProgram(
    (code) => {
      exitCode = code;
    },
    signals,
    jsonLines,
  );
  // Only `run` handles signals (it takes them over from `signals`), and `validate` and `graph` while they
  // wait for their graph; every other command gets Node's defaults back.
  program.hook('preAction', (_program, command) => {
    if (!SIGNALS_KEPT_BY.has(command.name())) signals.release();
  });
  const switched = withSwitchValues(program, withBarePrometheus(argv));
  if ('problem' in switched) {
    tellUsageProblem(switched.problem, jsonLines);
    return ExitCode.badInput;
  }
  try {
    await program.parseAsync([...switched.argv]);
  } catch (error) {
    // --help and --version end through here with exit code 0; every other
    // commander error is a usage error, already printed.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    throw error;
  }
  return exitCode;
}
