import { pathToFileURL } from 'node:url';
import {
  ENGINE_API_VERSION,
  isPluginDefinition,
  isResourceDefinition,
  type AnyResourceDefinition,
  type PluginDefinition,
} from '@converge/engine-api';
import { Kind, type TObject } from '@sinclair/typebox';
import { satisfies } from 'semver';
import { fromPlainSchema, isTypeBoxSchema } from './plain-schema.js';
import { resolvePackageEntry } from './package-entry.js';
import { failedAsCommonJs } from './commonjs-plugin.js';
import { pluginIncompatible, pluginInvalid, pluginLoadFailed, pluginNotEsModule } from './plugin-errors.js';
import { isRecord, type PluginPackage } from './plugin-manifest.js';

/**
 * Imports a plugin package whose manifest has been read: checks its engine
 * API range first (an incompatible plugin is never run), then imports its
 * entry and checks the default export. Plugins are recognised by their
 * `$$type` tag, so a plugin built against another copy of engine-api loads.
 */
export async function importPlugin(pkg: PluginPackage): Promise<PluginDefinition> {
  if (!satisfies(ENGINE_API_VERSION, pkg.manifest.engineApi, { includePrerelease: true })) {
    throw pluginIncompatible(pkg.name, pkg.manifest.engineApi, ENGINE_API_VERSION);
  }
  const entry = await resolvePackageEntry(pkg.dir, pkg.packageJson);
  if (entry.path === undefined) {
    throw pluginInvalid(
      pkg.name,
      `its entry '${entry.declared}' does not exist in ${pkg.dir}`,
      'build the package (its compiled files are missing; in a converge checkout, `npm run build` builds every plugin) or reinstall it',
    );
  }
  let module: unknown;
  try {
    module = await import(pathToFileURL(entry.path).href);
  } catch (cause) {
    if (failedAsCommonJs(entry.path, pkg.packageJson, cause)) throw pluginNotEsModule(pkg.name, pkg.dir, entry.path, cause);
    throw pluginLoadFailed(pkg.name, entry.path, cause);
  }
  const plugin = isRecord(module) ? module['default'] : undefined;
  if (!isPluginDefinition(plugin)) {
    throw pluginInvalid(
      pkg.name,
      `the default export of ${entry.path} is not a plugin`,
      "default-export definePlugin({name, resources: [...]}) from '@converge/engine-api'",
    );
  }
  return plugin;
}

/** The definition of `kind` in a plugin whose manifest declared it. */
export function kindFromPlugin(pkg: PluginPackage, plugin: PluginDefinition, kind: string): AnyResourceDefinition {
  const definition = plugin.resources.find(
    (resource: unknown) => isResourceDefinition(resource) && resource.kind === kind,
  );
  if (definition === undefined) {
    throw pluginInvalid(
      pkg.name,
      `its package.json declares kind '${kind}' but its plugin has no resource of that kind`,
      `add the defineResource({kind: '${kind}', ...}) to the plugin's resources, or drop '${kind}' from "converge.kinds"`,
    );
  }
  return withTypeBoxSchemas(pkg.name, definition);
}

/** Rebuilds plain JSON Schema params and sends as TypeBox, or says what is wrong. */
function withTypeBoxSchemas(packageName: string, definition: AnyResourceDefinition): AnyResourceDefinition {
  if (isTypeBoxSchema(definition.params) && (definition.sends === undefined || isTypeBoxSchema(definition.sends))) return definition;
  const params = fromPlainSchema(definition.params);
  const sends = definition.sends === undefined ? undefined : fromPlainSchema(definition.sends);
  if (!params || params[Kind] !== 'Object' || (definition.sends !== undefined && (!sends || sends[Kind] !== 'Object'))) {
    throw pluginInvalid(
      packageName,
      `the params or sends schema of kind '${definition.kind}' is not a JSON Schema object the engine can read`,
      'describe params with Type.Object(...) from @converge/engine-api, or a plain {type: "object", properties: {...}} schema',
    );
  }
  return Object.freeze({ ...definition, params: params as TObject, ...(sends ? { sends: sends as TObject } : {}) });
}
