import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginManifest } from '@converge/engine-api';
import { validRange } from 'semver';
import { pluginInvalid } from './plugin-errors.js';

/** A plugin package as read from its package.json, before any import. */
export interface PluginPackage {
  /** The package name (or, when package.json has none, the reference it was named by). */
  readonly name: string;
  /** The package's real folder (symlinks resolved). */
  readonly dir: string;
  readonly manifest: PluginManifest;
  readonly packageJson: Readonly<Record<string, unknown>>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MANIFEST_EXAMPLE = '"converge": {"kinds": ["mykind"], "engineApi": "^1.0.0"}';

/**
 * Reads `dir/package.json` and its `converge` manifest. The engine-api range
 * comes from `converge.engineApi`, else from the peer dependency on
 * `@converge/engine-api`, which plugins declare anyway. Throws
 * ERR_PLUGIN_INVALID when the manifest is missing or malformed.
 */
export async function readPluginPackage(dir: string, fallbackName: string): Promise<PluginPackage> {
  const packageJsonPath = join(dir, 'package.json');
  let packageJson: unknown;
  try {
    packageJson = JSON.parse(await readFile(packageJsonPath, 'utf8'));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw pluginInvalid(fallbackName, `cannot read ${packageJsonPath}: ${reason}`, 'reinstall the package');
  }
  if (!isRecord(packageJson)) {
    throw pluginInvalid(fallbackName, `${packageJsonPath} is not a JSON object`, 'reinstall the package');
  }
  const name = typeof packageJson['name'] === 'string' ? packageJson['name'] : fallbackName;
  const converge = packageJson['converge'];
  if (!isRecord(converge)) {
    throw pluginInvalid(
      name,
      `its package.json (${packageJsonPath}) has no "converge" field naming the kinds it provides`,
      `a plugin's package.json declares ${MANIFEST_EXAMPLE}`,
    );
  }
  const kinds = converge['kinds'];
  if (!Array.isArray(kinds) || !kinds.every((kind): kind is string => typeof kind === 'string')) {
    throw pluginInvalid(name, '"converge.kinds" in its package.json is not a list of kind names', `declare ${MANIFEST_EXAMPLE}`);
  }
  const engineApi = declaredEngineApiRange(packageJson, converge);
  if (engineApi === undefined) {
    throw pluginInvalid(
      name,
      'its package.json declares no engine API range ("converge.engineApi" or a peer dependency on @converge/engine-api)',
      `declare ${MANIFEST_EXAMPLE}`,
    );
  }
  if (validRange(engineApi) === null) {
    throw pluginInvalid(name, `its engine API range '${engineApi}' is not a semver range`, 'use a range such as "^1.0.0"');
  }
  return { name, dir, manifest: { kinds, engineApi }, packageJson };
}

function declaredEngineApiRange(
  packageJson: Record<string, unknown>,
  converge: Record<string, unknown>,
): string | undefined {
  if (typeof converge['engineApi'] === 'string') return converge['engineApi'];
  const peers = packageJson['peerDependencies'];
  if (isRecord(peers) && typeof peers['@converge/engine-api'] === 'string') return peers['@converge/engine-api'];
  return undefined;
}
