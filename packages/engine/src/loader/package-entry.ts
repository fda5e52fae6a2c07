import { join } from 'node:path';
import { isFile } from './package-lookup.js';
import { isRecord } from './plugin-manifest.js';

/** The export conditions the loader honours, as an ESM import from Node would. */
const CONDITIONS = new Set(['import', 'node', 'default']);

/**
 * The file a package's main import points at: `exports['.']` (a string or
 * import/node/default conditions, nested or not), else `module`, else `main`,
 * else `index.js`. Returns the path relative to the package folder, as
 * written, and the absolute path if that file exists.
 */
export async function resolvePackageEntry(
  dir: string,
  packageJson: Readonly<Record<string, unknown>>,
): Promise<{ readonly declared: string; readonly path: string | undefined }> {
  const declared =
    exportedMainEntry(packageJson['exports']) ??
    stringField(packageJson, 'module') ??
    stringField(packageJson, 'main') ??
    'index.js';
  // `main` may leave out the extension or name a folder, as CommonJS allowed.
  for (const candidate of [declared, `${declared}.js`, join(declared, 'index.js')]) {
    const path = join(dir, candidate);
    if (await isFile(path)) return { declared, path };
  }
  return { declared, path: undefined };
}

function exportedMainEntry(exportsField: unknown): string | undefined {
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) return conditionalTarget(exportsField);
  if (!isRecord(exportsField)) return undefined;
  const keys = Object.keys(exportsField);
  // Either a subpath map ({".": ..., "./x": ...}) or the conditions of ".".
  const isSubpathMap = keys.some((key) => key.startsWith('.'));
  return conditionalTarget(isSubpathMap ? exportsField['.'] : exportsField);
}

/** Node's rule: the first matching condition in object order wins. */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const alternative of target) {
      const found = conditionalTarget(alternative);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isRecord(target)) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!CONDITIONS.has(condition)) continue;
    const found = conditionalTarget(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function stringField(record: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}
