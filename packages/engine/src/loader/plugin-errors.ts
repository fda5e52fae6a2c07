import { spawnSync } from 'node:child_process';
import { EngineError } from '@converge/engine-api';

// One factory per loader failure, each with its stable code, so every place
// that reports "not installed", "incompatible", "crashed while loading" or
// "invalid" says it the same way (and tests can tell them apart by code).

/** A kind that follows the naming convention, whose package is missing. */
export function kindPackageNotInstalled(kind: string, packageName: string, installed: readonly string[] = []): EngineError {
  const here = installed.length > 0 ? `; the kinds installed here: ${installed.join(', ')}` : '';
  if (MGMT_KINDS_NOT_PROVIDED.has(kind)) {
    const instead = MGMT_KIND_INSTEAD[kind] ?? 'do its work with an exec resource (a command, with a guard such as ifcmd or creates so it runs only when needed)';
    return new EngineError('ERR_PLUGIN_NOT_INSTALLED', `kind '${kind}' is one of mgmt's that converge has no plugin for${here}`, {
      phase: 'load',
      hint: `${instead}, or install a third-party plugin that provides '${kind}' (by convention ${packageName})`,
    });
  }
  return new EngineError('ERR_PLUGIN_NOT_INSTALLED', `no installed plugin provides kind '${kind}'${here}`, {
    phase: 'load',
    hint: `install the plugin that provides it (by convention ${packageName}: npm install ${packageName}), or name its folder in plugins: or --plugin`,
  });
}

/** Kinds mgmt has and converge does not ship, so that a graph written for mgmt is told so, not sent to look for a package. */
const MGMT_KINDS_NOT_PROVIDED: ReadonlySet<string> = new Set([
  'augeas', 'aws:ec2', 'config:etcd', 'consul:kv', 'cron', 'deploy:tar', 'dhcp:host', 'dhcp:range', 'dhcp:server', 'firewalld',
  'group', 'gzip', 'hostname', 'http:file', 'http:flag', 'http:proxy', 'http:server', 'msg', 'mount', 'net', 'nspawn', 'pippet',
  'print', 'svc', 'tar', 'test', 'tftp:file', 'tftp:server', 'timer', 'user', 'value',
]);

/** For the mgmt kinds users write most, what does their work in converge. */
const MESSAGE_INSTEAD = "converge logs what each resource checks and changes; to write a message of your own, an exec running `logger` or `echo` (with a guard, or refreshonly: true behind a notify edge)";
const MGMT_KIND_INSTEAD: Readonly<Record<string, string>> = {
  timer: 'to check a resource every N seconds, give it meta: {poll: N}; to run a command on a schedule, an exec with a watchcmd such as `while sleep 60; do echo tick; done` (shell: /bin/sh)',
  msg: MESSAGE_INSTEAD,
  print: MESSAGE_INSTEAD,
  svc: 'an exec `systemctl enable --now NAME` guarded by nifcmd `systemctl is-active --quiet NAME`, and one with refreshonly: true running `systemctl restart NAME` behind a notify edge from its config file',
};

/** A plugin named explicitly (`plugins:` or `--plugin`) that cannot be found. */
export function namedPluginNotInstalled(reference: string, searched: readonly string[]): EngineError {
  const where = searched.length > 0 ? `; searched ${searched.join(', ')}` : '';
  return new EngineError('ERR_PLUGIN_NOT_INSTALLED', `plugin '${reference}' is not installed${where}`, {
    phase: 'load',
    hint: `npm install ${reference}, or name the plugin by the path of its package folder`,
  });
}

/** A plugin folder named by path that holds no package.json. */
export function pluginFolderMissing(reference: string, packageJsonPath: string): EngineError {
  return new EngineError(
    'ERR_PLUGIN_NOT_INSTALLED',
    `plugin '${reference}' was not found: ${packageJsonPath} does not exist`,
    { phase: 'load', hint: "name the folder that holds the plugin's package.json: absolute, or relative to the graph file's folder in plugins: and to the current directory with --plugin" },
  );
}

/** No installed plugin provides `kind`; `suggestions` are close known kinds. */
export function unknownKind(kind: string, suggestions: readonly string[], detail?: string): EngineError {
  const didYouMean = suggestions.length > 0 ? `: did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : '';
  const why = detail ? ` (${detail})` : '';
  return new EngineError('ERR_UNKNOWN_KIND', `unknown kind '${kind}'${didYouMean}${why}`, {
    phase: 'load',
    hint:
      suggestions.length > 0
        ? `write '${suggestions[0]}', or install the plugin that provides '${kind}'`
        : `check the spelling, or install the plugin that provides '${kind}'`,
  });
}

/** A plugin named on purpose, as the errors about it name it. */
interface NamedPackage {
  readonly reference: string;
  readonly pkg: { readonly name: string; readonly dir: string };
}

/**
 * Two plugins named on purpose that declare the same kinds. Told as the
 * later one's being invalid beside the first (ERR_PLUGIN_INVALID: a new code
 * would change the engine API), naming both, since either may be the one
 * the user meant.
 */
export function pluginsClaimOneKind(kinds: readonly string[], first: NamedPackage, second: NamedPackage): EngineError {
  const named = (plugin: NamedPackage): string => `${plugin.pkg.name} (${plugin.pkg.dir})`;
  const which = kinds.length === 1 ? `kind '${kinds[0]}'` : `kinds ${kinds.map((kind) => `'${kind}'`).join(', ')}`;
  return new EngineError(
    'ERR_PLUGIN_INVALID',
    `plugins ${named(first)} and ${named(second)} both provide ${which}: which one runs would depend on the order they are named in`,
    {
      phase: 'load',
      hint: `name only one of them: drop '${first.reference}' or '${second.reference}' from the graph's plugins: or the --plugin flags (a plugin named on purpose already wins over an installed @converge/res-* package of its kinds)`,
    },
  );
}

export function pluginIncompatible(packageName: string, needed: string, provided: string): EngineError {
  return new EngineError(
    'ERR_PLUGIN_INCOMPATIBLE',
    `${packageName} needs engine API ${needed}, but this converge provides engine API ${provided}`,
    {
      phase: 'load',
      hint: `install a version of ${packageName} made for engine API ${provided}, or a converge whose engine API satisfies ${needed}`,
    },
  );
}

export function pluginLoadFailed(packageName: string, entry: string, cause: unknown): EngineError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const at = whereItFailed(entry, cause);
  return new EngineError('ERR_PLUGIN_LOAD_FAILED', `${packageName} crashed while loading ${entry}: ${reason}${at ? ` (at ${at})` : ''}`, {
    phase: 'load',
    hint: at
      ? `if you write ${packageName}, fix it at ${at}; otherwise reinstall it, and if it still fails report it to its authors with this message`
      : `reinstall ${packageName}; if it still fails, report it to its authors with this message`,
    cause,
  });
}

/** A CommonJS plugin that require()s engine-api, which is an ES module only. */
export function pluginNotEsModule(packageName: string, packageDir: string, entry: string, cause: unknown): EngineError {
  return new EngineError(
    'ERR_PLUGIN_INVALID',
    `${packageName} is not a valid converge plugin: ${entry} is a CommonJS module, and plugins must be ES modules (@converge/engine-api is an ES module only, which require() cannot load)`,
    {
      phase: 'load',
      hint: `add "type": "module" to ${packageDir}/package.json, then import { definePlugin, defineResource } from '@converge/engine-api' instead of require(), and export default definePlugin(...) instead of module.exports =`,
      cause,
    },
  );
}

/**
 * Where a plugin's import failed, as path:line: the first frame of its stack
 * in a file (a throw at import), or, for a syntax error (whose stack names
 * only Node's loader), what `node --check` says of the entry.
 */
function whereItFailed(entry: string, cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const frame = /\(?file:\/\/([^\s)]+:\d+:\d+)\)?/.exec(cause.stack ?? '');
  if (frame?.[1] !== undefined) return frame[1];
  if (!(cause instanceof SyntaxError)) return undefined;
  const checked = spawnSync(process.execPath, ['--check', entry], { encoding: 'utf8', timeout: 5_000 });
  return /^(\/[^\n]*:\d+)$/m.exec(checked.stderr ?? '')?.[1];
}

/** A plugin whose code defines `kind` that its package.json does not list. */
export function kindUndeclared(pkg: { readonly name: string; readonly dir: string; readonly manifest: { readonly kinds: readonly string[] } }, kind: string): EngineError {
  const declared = pkg.manifest.kinds.map((each) => `'${each}'`).join(', ') || 'none';
  return pluginInvalid(
    pkg.name,
    `its code defines kind '${kind}', but its package.json does not declare it (its "converge.kinds": ${declared})`,
    `list '${kind}' in "converge.kinds" in ${pkg.dir}/package.json: the engine finds kinds by it before importing anything`,
  );
}

export function pluginInvalid(packageName: string, problem: string, hint: string): EngineError {
  return new EngineError('ERR_PLUGIN_INVALID', `${packageName} is not a valid converge plugin: ${problem}`, {
    phase: 'load',
    hint,
  });
}
