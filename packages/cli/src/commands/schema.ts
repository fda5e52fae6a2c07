import { writeFile } from 'node:fs/promises';
import { commandLineReporter } from '../command-line-reporter.js';
import { ExitCode } from '../exit-codes.js';
import { graphSchema } from '../schema/graph-schema.js';
import { installedKinds } from '../schema/installed-kinds.js';

export interface SchemaFlags {
  readonly plugin: readonly string[];
  /** The file to write; stdout when left out. */
  readonly output?: string;
  readonly logJson?: boolean;
}

/** `converge schema`: the JSON Schema of graph files, for editors, from the kinds installed here. */
export async function schemaCommand(flags: SchemaFlags): Promise<ExitCode> {
  const reporter = commandLineReporter(flags.logJson === true);
  const { definitions, skipped, unreadable } = await installedKinds(flags.plugin, [process.cwd()]);
  if (unreadable.length > 0) {
    // As validate and run tell a plugin they cannot read: with its code and hint.
    for (const error of unreadable) reporter.problem(error);
    reporter.say('no schema written');
    return ExitCode.badInput;
  }
  for (const { kind, reason } of skipped) reporter.say(`kind '${kind}' left out of the schema: ${reason}`);
  const text = `${JSON.stringify(graphSchema(definitions), null, 2)}\n`;
  if (flags.output === undefined) {
    process.stdout.write(text);
    return ExitCode.ok;
  }
  try {
    await writeFile(flags.output, text);
  } catch (error) {
    reporter.failure({ code: 'ERR_RUN_FILE', message: `cannot write ${flags.output}: ${error instanceof Error ? error.message : String(error)}` });
    return ExitCode.badInput;
  }
  reporter.say(`wrote ${flags.output} (${definitions.length} kinds: ${definitions.map((definition) => definition.kind).join(', ')})`);
  return ExitCode.ok;
}
