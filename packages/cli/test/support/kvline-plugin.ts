import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A third-party plugin as QA wrote one (kind `kvline`: keeps a `key=value`
 * line in the file at `path`), in plain ESM with `$$type` tags, so it needs
 * no engine-api beside it. Its hooks misbehave on purpose when a resource's
 * `value` asks them to:
 * - `THROWGC`: `groupCmp` throws;
 * - `VGTHROW`: `validateGraph` throws;
 * - `BADIDX`: `validateGraph` returns an issue about resource 99, which the
 *   kind was not given.
 */
const KVLINE_SOURCE = (name: string, kinds: readonly string[]): string => `
import { readFile, writeFile } from 'node:fs/promises';

const resource = (kind) => ({
  $$type: '@converge/resource',
  kind,
  params: {
    type: 'object',
    properties: { path: { type: 'string' }, value: { type: 'string', default: '' } },
    required: ['path'],
    additionalProperties: false,
  },
  groupable: {
    groupCmp(a, b) {
      if (a.value === 'THROWGC' || b.value === 'THROWGC') throw new Error('groupCmp blew up');
      return a.path === b.path;
    },
  },
  validateGraph(resources) {
    if (resources.some((r) => r.params.value === 'VGTHROW')) throw new Error('validateGraph blew up');
    return resources.some((r) => r.params.value === 'BADIDX') ? [{ resource: 99, message: 'bad index' }] : [];
  },
  create(params) {
    let lines = [];
    return {
      group(children) {
        lines = children;
      },
      async checkApply(apply) {
        const want = [params, ...lines].map((line) => line.value).join('\\n') + '\\n';
        const text = await readFile(params.path, 'utf8').catch(() => '');
        if (text === want) return true;
        if (apply) await writeFile(params.path, want);
        return false;
      },
    };
  },
});

export default { $$type: '@converge/plugin', name: ${JSON.stringify(name)}, resources: ${JSON.stringify(kinds)}.map(resource) };
`;

export interface KvlinePluginOptions {
  /** The package name (default converge-res-kvline). */
  readonly name?: string;
  /** The kinds its package.json declares (default ['kvline']). */
  readonly declares?: readonly string[];
  /** The kinds its code defines (default: those it declares). */
  readonly defines?: readonly string[];
  /** Its "converge.engineApi" (default ^1.0.0). */
  readonly engineApi?: string;
}

/** Writes the plugin package into `<dir>/<folder>` and returns that folder. */
export async function writeKvlinePlugin(dir: string, folder: string, options: KvlinePluginOptions = {}): Promise<string> {
  const path = join(dir, folder);
  const name = options.name ?? 'converge-res-kvline';
  const declares = options.declares ?? ['kvline'];
  await mkdir(path, { recursive: true });
  const manifest = {
    name,
    version: '0.1.0',
    type: 'module',
    exports: { '.': './index.js', './package.json': './package.json' },
    converge: { kinds: declares, engineApi: options.engineApi ?? '^1.0.0' },
  };
  await writeFile(join(path, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(path, 'index.js'), KVLINE_SOURCE(name, options.defines ?? declares));
  return path;
}

/** A graph of two kvline resources on one file (so that they group), the first with `value`. */
export function kvlineGraph(file: string, value: string, header = ''): string {
  return `graph: kv\n${header}resources:\n  kvline:\n    - name: a\n      path: ${file}\n      value: ${value}\n    - name: b\n      path: ${file}\n`;
}
