import { writeFile } from 'node:fs/promises';
import { ExitCode } from '../exit-codes.js';
import { graphSchema } from '../schema/graph-schema.js';
import { installedKinds } from '../schema/installed-kinds.js';

export interface SchemaFlags {
  readonly plugin: readonly string[];
  /** The file to write; stdout when left out. */
  readonly output?: string;
}

/** `converge schema`: the JSON Schema of graph files, for editors, from the kinds installed here. */
export async function schemaCommand(flags: SchemaFlags): Promise<ExitCode> {
  const say = (message: string): boolean => process.stderr.write(`converge: ${message}\n`);
  const { definitions, skipped, unreadable } = await installedKinds(flags.plugin, [process.cwd()]);
  if (unreadable.length > 0) {
    for (const error of unreadable) say(`${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    say('no schema written');
    return ExitCode.badInput;
  }
  for (const { kind, reason } of skipped) say(`kind '${kind}' left out of the schema: ${reason}`);
  const text = `${JSON.stringify(graphSchema(definitions), null, 2)}\n`;
  if (flags.output === undefined) {
    process.stdout.write(text);
    return ExitCode.ok;
  }
  try {
    await writeFile(flags.output, text);
  } catch (error) {
    say(`cannot write ${flags.output}: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.badInput;
  }
  say(`wrote ${flags.output} (${definitions.length} kinds: ${definitions.map((definition) => definition.kind).join(', ')})`);
  return ExitCode.ok;
}
