import { existsSync } from 'node:fs';
import { mkdir, realpath, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_API_VERSION, isEngineError, type EngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noopResource } from '../src/builtin/noop.js';
import { createKindResolver } from '../src/loader/plugin-registry.js';
import { loadGraphFile } from '../src/graph/load-graph.js';
import { GraphLoadError } from '../src/graph/load-error.js';

const engineApiFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../engine-api');

let root: string;
let project: string;
let nodeModules: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-loader-'));
  project = join(root, 'project');
  nodeModules = join(project, 'node_modules');
  await mkdir(join(project, 'graphs', 'deep'), { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a package folder: package.json plus the given files. */
async function writePackage(folder: string, packageJson: object, files: Record<string, string>): Promise<string> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'package.json'), JSON.stringify(packageJson, null, 2));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(folder, file)), { recursive: true });
    await writeFile(join(folder, file), text);
  }
  return folder;
}

/**
 * A plugin in plain ESM that does not import engine-api: its values carry the
 * `$$type` tags only. `description` tells apart plugins giving one kind.
 */
function taggedPluginSource(name: string, kinds: readonly string[], description = name): string {
  const resources = kinds.map(
    (kind) => `{
      $$type: '@converge/resource',
      kind: ${JSON.stringify(kind)},
      description: ${JSON.stringify(description)},
      params: { type: 'object', properties: {} },
      create() { return { checkApply: () => true }; },
    }`,
  );
  return `export default { $$type: '@converge/plugin', name: ${JSON.stringify(name)}, resources: [${resources.join(',')}] };\n`;
}

/** A conventional `@converge/res-<family>` package in the project's node_modules. */
async function writeConventionalPlugin(
  family: string,
  kinds: readonly string[],
  options: { engineApi?: string; index?: string } = {},
): Promise<string> {
  const name = `@converge/res-${family}`;
  return writePackage(
    join(nodeModules, name),
    { name, version: '1.0.0', type: 'module', converge: { kinds, engineApi: options.engineApi ?? '^1.0.0' } },
    { 'index.js': options.index ?? taggedPluginSource(name, kinds) },
  );
}

/** The EngineError `promise` rejects with (fails the test if it resolves). */
async function loadError(promise: Promise<unknown>): Promise<EngineError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isEngineError(error)) throw new Error(`expected an EngineError, got ${String(error)}`);
  return error;
}

/** The problems a graph load fails with (fails the test if it loads). */
async function loadProblems(promise: Promise<unknown>): Promise<readonly EngineError[]> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GraphLoadError)) throw new Error(`expected a GraphLoadError, got ${String(error)}`);
  return error.problems;
}

function resolverFor(plugins: readonly string[] = []) {
  return createKindResolver({ searchFrom: [join(project, 'graphs', 'deep')], plugins, builtins: [noopResource] });
}

/** The plugins named on purpose that cannot be read (optional in KindResolver; the registry must have it). */
function unreadableOf(plugins: readonly string[]) {
  const resolver = resolverFor(plugins);
  if (!resolver.unreadablePlugins) throw new Error('the plugin registry does not tell unreadable plugins');
  return resolver.unreadablePlugins();
}

describe('createKindResolver', () => {
  it('resolves builtin kinds without any package', async () => {
    const resolver = createKindResolver({ searchFrom: [root], builtins: [noopResource] });
    expect(await resolver.resolve('noop')).toBe(noopResource);
    expect(await resolver.knownKinds()).toContain('noop');
  });

  it('loads a tag-only plugin found by walking up node_modules folders', async () => {
    await writeConventionalPlugin('zwidget', ['zwidget']);
    const definition = await resolverFor().resolve('zwidget');
    expect(definition.$$type).toBe('@converge/resource');
    expect(definition.kind).toBe('zwidget');
    expect(definition.create({}).checkApply(false, new AbortController().signal)).toBe(true);
  });

  it('maps kind X:sub to @converge/res-X', async () => {
    await writeConventionalPlugin('zdock', ['zdock:box', 'zdock:image']);
    const resolver = resolverFor();
    const [box, image] = await Promise.all([resolver.resolve('zdock:box'), resolver.resolve('zdock:image')]);
    expect(box.kind).toBe('zdock:box');
    expect(image.kind).toBe('zdock:image');

    const typo = await loadError(resolver.resolve('zdock:boks'));
    expect(typo.code).toBe('ERR_UNKNOWN_KIND');
    expect(typo.message).toContain("did you mean 'zdock:box'?");
    expect(typo.message).toContain('@converge/res-zdock provides zdock:box, zdock:image');
  });

  it('loads a symlinked plugin that imports @converge/engine-api through a symlink', async () => {
    const source = join(project, 'packages', 'zlinked');
    await writePackage(
      source,
      {
        name: '@converge/res-zlinked',
        version: '1.0.0',
        type: 'module',
        exports: { '.': { import: './dist/index.js' } },
        peerDependencies: { '@converge/engine-api': '^1.0.0' },
        converge: { kinds: ['zlinked'] },
      },
      {
        'dist/index.js': `
          import { definePlugin, defineResource, Type } from '@converge/engine-api';
          const zlinked = defineResource({
            kind: 'zlinked',
            params: Type.Object({ path: Type.String() }),
            create: () => ({ checkApply: () => true }),
          });
          export default definePlugin({ name: '@converge/res-zlinked', resources: [zlinked] });
        `,
      },
    );
    await mkdir(join(nodeModules, '@converge'), { recursive: true });
    await symlink(engineApiFolder, join(nodeModules, '@converge', 'engine-api'), 'dir');
    await symlink(source, join(nodeModules, '@converge', 'res-zlinked'), 'dir');

    const definition = await resolverFor().resolve('zlinked');
    expect(definition.kind).toBe('zlinked');
    expect(definition.params.properties['path']).toMatchObject({ type: 'string' });
  });

  it('finds a package whose exports map hides its package.json', async () => {
    await writePackage(
      join(nodeModules, '@converge', 'res-zhidden'),
      {
        name: '@converge/res-zhidden',
        type: 'module',
        exports: { '.': { require: './lib/main.cjs', node: { import: './lib/main.js' } } },
        converge: { kinds: ['zhidden'], engineApi: '^1.0.0' },
      },
      { 'lib/main.js': taggedPluginSource('@converge/res-zhidden', ['zhidden']) },
    );
    expect((await resolverFor().resolve('zhidden')).kind).toBe('zhidden');
  });

  it('says which package to install when a kind is not installed', async () => {
    const error = await loadError(resolverFor().resolve('zqqq'));
    expect(error.code).toBe('ERR_PLUGIN_NOT_INSTALLED');
    expect(error.message).toMatch(/^no installed plugin provides kind 'zqqq'; the kinds installed here: .*\bnoop\b/);
    expect(error.hint).toContain('npm install @converge/res-zqqq');
    // One of mgmt's kinds that converge does not ship: told so, with what to do instead, not sent to look for a package.
    const svc = await loadError(resolverFor().resolve('svc'));
    expect(svc.code).toBe('ERR_PLUGIN_NOT_INSTALLED');
    expect(svc.message).toMatch(/^kind 'svc' is one of mgmt's that converge has no plugin for; the kinds installed here: /);
    expect(svc.hint).toMatch(/^an exec `systemctl enable --now NAME` guarded by nifcmd/);
    // The ones users write most say what does their work here (QA: a timer was sent to an exec, where meta poll is the answer).
    expect((await loadError(resolverFor().resolve('timer'))).hint).toMatch(/^to check a resource every N seconds, give it meta: \{poll: N\}/);
    expect((await loadError(resolverFor().resolve('augeas'))).hint).toMatch(/^do its work with an exec resource/);
    // Short kinds get a small edit budget: 'zoo' is not taken for 'noop'.
    expect((await loadError(resolverFor().resolve('zoo'))).code).toBe('ERR_PLUGIN_NOT_INSTALLED');
  });

  it('suggests a close known kind instead', async () => {
    await writeConventionalPlugin('zwidget', ['zwidget']);
    const resolver = resolverFor();
    const typo = await loadError(resolver.resolve('zwidgte'));
    expect(typo.code).toBe('ERR_UNKNOWN_KIND');
    expect(typo.message).toBe("unknown kind 'zwidgte': did you mean 'zwidget'?");
    expect(typo.hint).toContain("write 'zwidget'");

    const prefix = await loadError(resolver.resolve('zwid'));
    expect(prefix.message).toContain("did you mean 'zwidget'?");
    expect((await loadError(resolver.resolve('noopp'))).message).toContain("did you mean 'noop'?");
  });

  it('rejects kind names that could escape the package folder', async () => {
    await writePackage(join(nodeModules, 'etc'), { name: 'etc', converge: { kinds: ['x'], engineApi: '^1.0.0' } }, {});
    const error = await loadError(resolverFor().resolve('../../etc'));
    expect(error.code).toBe('ERR_UNKNOWN_KIND');
    expect(error.message).toContain('lower-case words');
  });

  it('refuses a plugin made for another engine API, without importing it', async () => {
    const marker = join(root, 'imported-zfuture');
    await writeConventionalPlugin('zfuture', ['zfuture'], {
      engineApi: '^2.0.0',
      index: `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\n${taggedPluginSource('z', ['zfuture'])}`,
    });
    const error = await loadError(resolverFor().resolve('zfuture'));
    expect(error.code).toBe('ERR_PLUGIN_INCOMPATIBLE');
    expect(error.message).toBe(
      `@converge/res-zfuture needs engine API ^2.0.0, but this converge provides engine API ${ENGINE_API_VERSION}`,
    );
    expect(error.hint).toContain(`install a version of @converge/res-zfuture made for engine API ${ENGINE_API_VERSION}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('falls back to the peer dependency on @converge/engine-api for the range', async () => {
    for (const [family, range] of [['zpeerold', '^0.3.0'], ['zpeerok', '>=1.0.0 <2']] as const) {
      await writePackage(
        join(nodeModules, '@converge', `res-${family}`),
        {
          name: `@converge/res-${family}`,
          type: 'module',
          peerDependencies: { '@converge/engine-api': range },
          converge: { kinds: [family] },
        },
        { 'index.js': taggedPluginSource(family, [family]) },
      );
    }
    const resolver = resolverFor();
    expect((await loadError(resolver.resolve('zpeerold'))).code).toBe('ERR_PLUGIN_INCOMPATIBLE');
    expect((await resolver.resolve('zpeerok')).kind).toBe('zpeerok');
  });

  it('reports a plugin that throws or rejects while importing, keeping the cause', async () => {
    await writeConventionalPlugin('zcrash', ['zcrash'], { index: "throw new TypeError('boom at import');\n" });
    await writeConventionalPlugin('zreject', ['zreject'], {
      index: "await Promise.reject(new Error('async boom'));\nexport default {};\n",
    });
    const resolver = resolverFor();

    const crash = await loadError(resolver.resolve('zcrash'));
    expect(crash.code).toBe('ERR_PLUGIN_LOAD_FAILED');
    expect(crash.message).toContain('@converge/res-zcrash crashed while loading');
    expect(crash.message).toContain('boom at import');
    expect(crash.cause).toBeInstanceOf(TypeError);
    expect((crash.cause as Error).message).toBe('boom at import');

    const rejected = await loadError(resolver.resolve('zreject'));
    expect(rejected.code).toBe('ERR_PLUGIN_LOAD_FAILED');
    expect((rejected.cause as Error).message).toBe('async boom');
  });

  it('says where a plugin failed to load, for a throw and for a syntax error, so its author can fix it', async () => {
    const thrower = await writeConventionalPlugin('zthrowat', ['zthrowat'], { index: "const a = 1;\nthrow new Error('boom at import');\n" });
    const broken = await writeConventionalPlugin('zsyntax', ['zsyntax'], { index: 'const a = 1;\nexport default {\n  nope: {\n};\n' });
    const resolver = resolverFor();
    const threw = await loadError(resolver.resolve('zthrowat'));
    expect(threw.message).toMatch(new RegExp(`boom at import \\(at ${join(await realpath(thrower), 'index.js')}:2:7\\)$`));
    expect(threw.hint).toContain('if you write @converge/res-zthrowat, fix it at');
    const syntax = await loadError(resolver.resolve('zsyntax'));
    expect(syntax.message).toMatch(new RegExp(`Unexpected token ';' \\(at ${join(await realpath(broken), 'index.js')}:4\\)$`));
  });

  it('says a CommonJS plugin that require()s engine-api must be an ES module, not to reinstall it (QA: \'No "exports" main defined\', hint: reinstall)', async () => {
    const folder = await writePackage(
      join(root, 'elsewhere', 'cjs-plug'),
      { name: 'cjs-kv', version: '0.0.1', main: 'index.js', converge: { kinds: ['cjskv'], engineApi: '^1.0.0' } },
      {
        'index.js': `const { defineResource, definePlugin, Type } = require('@converge/engine-api');
const r = defineResource({ kind: 'cjskv', params: Type.Object({}), create: () => ({ checkApply: () => true }) });
module.exports = definePlugin({ name: 'cjs-kv', resources: [r] });
`,
      },
    );
    await mkdir(join(folder, 'node_modules', '@converge'), { recursive: true });
    await symlink(engineApiFolder, join(folder, 'node_modules', '@converge', 'engine-api'), 'dir');
    const error = await loadError(resolverFor([folder]).resolve('cjskv'));
    expect(error.code).toBe('ERR_PLUGIN_INVALID');
    expect(error.message).toBe(
      `cjs-kv is not a valid converge plugin: ${join(await realpath(folder), 'index.js')} is a CommonJS module, and plugins must be ES modules (@converge/engine-api is an ES module only, which require() cannot load)`,
    );
    expect(error.hint).toBe(
      `add "type": "module" to ${await realpath(folder)}/package.json, then import { definePlugin, defineResource } from '@converge/engine-api' instead of require(), and export default definePlugin(...) instead of module.exports =`,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');

    // One that needs nothing from engine-api (tags only) loads as CommonJS, as before.
    const tagsOnly = await writePackage(
      join(root, 'elsewhere', 'cjs-tags'),
      { name: 'cjs-tags', main: 'index.js', converge: { kinds: ['cjstags'], engineApi: '^1.0.0' } },
      { 'index.js': taggedPluginSource('cjs-tags', ['cjstags']).replace('export default', 'module.exports =') },
    );
    expect((await resolverFor([tagsOnly]).resolve('cjstags')).kind).toBe('cjstags');
  });

  it('rejects a default export that is not a plugin, or lacks a declared kind', async () => {
    await writeConventionalPlugin('znotplugin', ['znotplugin'], { index: 'export default { resources: [] };\n' });
    await writeConventionalPlugin('zlacking', ['zlacking:there', 'zlacking:missing'], {
      index: taggedPluginSource('@converge/res-zlacking', ['zlacking:there']),
    });
    const resolver = resolverFor();

    const notPlugin = await loadError(resolver.resolve('znotplugin'));
    expect(notPlugin.code).toBe('ERR_PLUGIN_INVALID');
    expect(notPlugin.message).toContain('the default export of');
    expect(notPlugin.message).toContain('is not a plugin');

    expect((await resolver.resolve('zlacking:there')).kind).toBe('zlacking:there');
    const lacking = await loadError(resolver.resolve('zlacking:missing'));
    expect(lacking.code).toBe('ERR_PLUGIN_INVALID');
    expect(lacking.message).toContain("declares kind 'zlacking:missing' but its plugin has no resource of that kind");
  });

  it('says to build a plugin whose entry file is missing', async () => {
    await writePackage(
      join(nodeModules, '@converge', 'res-zunbuilt'),
      { name: '@converge/res-zunbuilt', exports: './dist/index.js', converge: { kinds: ['zunbuilt'], engineApi: '^1.0.0' } },
      {},
    );
    const error = await loadError(resolverFor().resolve('zunbuilt'));
    expect(error.code).toBe('ERR_PLUGIN_INVALID');
    expect(error.message).toContain("its entry './dist/index.js' does not exist");
    expect(error.hint).toContain('build the package');
  });

  it('rejects a package without a converge field before importing it', async () => {
    const marker = join(root, 'imported-zbare');
    await writePackage(
      join(nodeModules, '@converge', 'res-zbare'),
      { name: '@converge/res-zbare', type: 'module' },
      { 'index.js': `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\n` },
    );
    const error = await loadError(resolverFor().resolve('zbare'));
    expect(error.code).toBe('ERR_PLUGIN_INVALID');
    expect(error.message).toContain('has no "converge" field');
    expect(error.hint).toContain('"converge": {"kinds"');
    expect(existsSync(marker)).toBe(false);
  });

  it('loads a plugin named by an absolute or a relative path', async () => {
    const folder = await writePackage(
      join(root, 'elsewhere', 'acme-thing'),
      { name: 'acme-thing', type: 'module', main: 'main.js', converge: { kinds: ['zpathkind'], engineApi: '^1.0.0' } },
      { 'main.js': taggedPluginSource('acme-thing', ['zpathkind']) },
    );
    expect((await resolverFor([folder]).resolve('zpathkind')).kind).toBe('zpathkind');

    const relativePath = relative(process.cwd(), folder);
    expect(relativePath.startsWith('..')).toBe(true);
    const resolver = resolverFor([relativePath]);
    expect((await resolver.resolve('zpathkind')).kind).toBe('zpathkind');
    expect(await resolver.knownKinds()).toContain('zpathkind');
  });

  it('says so when a plugin named on purpose defines the kind but its package.json does not declare it', async () => {
    const folder = await writePackage(
      join(root, 'elsewhere', 'qa-stamp'),
      { name: 'qa-stamp', type: 'module', main: 'main.js', converge: { kinds: ['other'], engineApi: '^1.0.0' } },
      { 'main.js': taggedPluginSource('qa-stamp', ['zstamp']) },
    );
    const error = await loadError(resolverFor([folder]).resolve('zstamp'));
    expect(error.code).toBe('ERR_PLUGIN_INVALID');
    expect(error.message).toBe(`qa-stamp is not a valid converge plugin: its code defines kind 'zstamp', but its package.json does not declare it (its "converge.kinds": 'other')`);
    expect(error.hint).toContain(`list 'zstamp' in "converge.kinds"`);
  });

  it('refuses a plugin named on purpose that declares a built-in kind, instead of passing it over', async () => {
    const folder = await writePackage(
      join(root, 'elsewhere', 'qa-noop'),
      { name: 'qa-noop', type: 'module', main: 'main.js', converge: { kinds: ['noop'], engineApi: '^1.0.0' } },
      { 'main.js': taggedPluginSource('qa-noop', ['noop']) },
    );
    const error = await loadError(resolverFor([folder]).resolve('noop'));
    expect(error.message).toBe("qa-noop is not a valid converge plugin: it declares kind 'noop', which is built into converge");
    expect((await resolverFor().resolve('noop')).kind).toBe('noop');
  });

  it('lets a plugin named by package name win over the convention', async () => {
    await writeConventionalPlugin('zwidget', ['zwidget']);
    await writePackage(
      join(nodeModules, 'acme-kit'),
      { name: 'acme-kit', type: 'module', converge: { kinds: ['zacme', 'zwidget'], engineApi: '^1.0.0' } },
      { 'index.js': taggedPluginSource('acme-kit', ['zacme', 'zwidget'], 'from acme-kit') },
    );
    expect((await resolverFor().resolve('zwidget')).description).toBe('@converge/res-zwidget');

    const resolver = resolverFor(['acme-kit']);
    expect((await resolver.resolve('zwidget')).description).toBe('from acme-kit');
    expect((await resolver.resolve('zacme')).description).toBe('from acme-kit');
  });

  it('refuses two plugins named on purpose that declare one kind, naming both, rather than let their order pick (QA: the first silently won)', async () => {
    const plugin = (folder: string, name: string, kinds: readonly string[]) =>
      writePackage(join(root, 'elsewhere', folder), { name, type: 'module', converge: { kinds, engineApi: '^1.0.0' } }, { 'index.js': taggedPluginSource(name, kinds, `from ${folder}`) });
    const first = await plugin('kvline', 'converge-res-kvline', ['kvline', 'kvother']);
    const second = await plugin('kvline-dup', 'converge-res-kvline-dup', ['kvline', 'kvnew']);
    const unreadable = await unreadableOf([first, second]);
    expect(unreadable.map(({ index, alsoAbout, error }) => [index, alsoAbout, error.code])).toEqual([[1, 0, 'ERR_PLUGIN_INVALID']]);
    const error = unreadable[0]?.error as EngineError;
    expect(error.message).toBe(
      `plugins converge-res-kvline (${await realpath(first)}) and converge-res-kvline-dup (${await realpath(second)}) both provide kind 'kvline': which one runs would depend on the order they are named in`,
    );
    expect(error.hint).toBe(`name only one of them: drop '${first}' or '${second}' from the graph's plugins: or the --plugin flags (a plugin named on purpose already wins over an installed @converge/res-* package of its kinds)`);
    // The kind they share is given from neither.
    expect((await loadError(resolverFor([first, second]).resolve('kvline'))).message).toBe(error.message);
    // One folder named twice (plugins: and --plugin) is one plugin.
    expect(await unreadableOf([first, relative(process.cwd(), first)])).toEqual([]);
    expect((await resolverFor([first, first]).resolve('kvline')).description).toBe('from kvline');
  });

  it('refuses a plugins: entry and a --plugin that declare one kind, at the plugins: entry', async () => {
    const plugin = (folder: string) =>
      writePackage(join(root, 'elsewhere', folder), { name: folder, type: 'module', converge: { kinds: ['kvline'], engineApi: '^1.0.0' } }, { 'index.js': taggedPluginSource(folder, ['kvline']) });
    const inGraph = await plugin('kv-graph');
    const flagged = await plugin('kv-flag');
    const graphFile = join(project, 'graphs', 'deep', 'g.yaml');
    await writeFile(graphFile, `graph: g\nplugins:\n  - ${inGraph}\nresources:\n  kvline:\n    - name: a\n`);
    const problems = await loadProblems(loadGraphFile(graphFile, { plugins: [flagged] }));
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.message])).toEqual([
      ['ERR_PLUGIN_INVALID', 3, expect.stringMatching(/^plugins kv-graph \(.*\) and kv-flag \(.*\) both provide kind 'kvline'/)],
    ]);
    expect((await loadGraphFile(graphFile)).resources.size).toBe(1);
  });

  it('names a missing explicit plugin and where it was looked for', async () => {
    const resolver = resolverFor(['acme-missing', './no/such/folder']);
    await mkdir(nodeModules, { recursive: true });
    const error = await loadError(resolver.resolve('zwidget'));
    expect(error.code).toBe('ERR_PLUGIN_NOT_INSTALLED');
    expect(error.message).toContain("plugin 'acme-missing' is not installed");
    expect(error.message).toContain(nodeModules);

    const byPath = await loadError(resolverFor(['./no/such/folder']).resolve('zwidget'));
    expect(byPath.code).toBe('ERR_PLUGIN_NOT_INSTALLED');
    expect(byPath.message).toContain(join(process.cwd(), 'no', 'such', 'folder', 'package.json'));
    // Builtins need no plugin.
    expect(await resolver.resolve('noop')).toBe(noopResource);
  });

  it('tells which plugins named on purpose cannot be read, by their place, whatever kinds are asked for', async () => {
    await writePackage(
      join(nodeModules, 'acme-kit'),
      { name: 'acme-kit', type: 'module', converge: { kinds: ['zacme'], engineApi: '^1.0.0' } },
      { 'index.js': taggedPluginSource('acme-kit', ['zacme']) },
    );
    const unreadable = await unreadableOf(['acme-missing', 'acme-kit', './no/such/folder']);
    expect(unreadable.map(({ index, error }) => [index, error.code])).toEqual([
      [0, 'ERR_PLUGIN_NOT_INSTALLED'],
      [2, 'ERR_PLUGIN_NOT_INSTALLED'],
    ]);
    expect(unreadable[0]?.error.message).toContain("plugin 'acme-missing' is not installed");
    expect(await unreadableOf(['acme-kit'])).toEqual([]);
  });

  it('refuses a plugin named on purpose that is incompatible, crashes, or whose code and package.json disagree on its kinds, even when no kind of it is used (QA: left out with a warning, or silently)', async () => {
    const plugin = (folder: string, kinds: readonly string[], options: { defines?: readonly string[]; engineApi?: string; index?: string } = {}) =>
      writePackage(
        join(root, 'elsewhere', folder),
        { name: folder, type: 'module', converge: { kinds, engineApi: options.engineApi ?? '^1.0.0' } },
        { 'index.js': options.index ?? taggedPluginSource(folder, options.defines ?? kinds) },
      );
    const folders = [
      await plugin('p-nokind', [], { defines: ['kvline'] }),
      await plugin('p-api2', ['kvapi'], { engineApi: '^2.0.0' }),
      await plugin('p-extrakind', ['kvextra', 'kvother'], { defines: ['kvextra'] }),
      await plugin('p-crash', ['kvcrash'], { index: "throw new Error('boom at import');\n" }),
      await plugin('p-good', ['kvgood']),
    ];
    const told = [];
    for (const folder of folders) {
      const unreadable = await unreadableOf([folder]);
      told.push(unreadable.map(({ error }) => [error.code, error.message.replace(/ \(at .*\)$/, '')])[0]);
    }
    expect(told).toEqual([
      ['ERR_PLUGIN_INVALID', `p-nokind is not a valid converge plugin: its code defines kind 'kvline', but its package.json does not declare it (its "converge.kinds": none)`],
      ['ERR_PLUGIN_INCOMPATIBLE', `p-api2 needs engine API ^2.0.0, but this converge provides engine API ${ENGINE_API_VERSION}`],
      ['ERR_PLUGIN_INVALID', "p-extrakind is not a valid converge plugin: its package.json declares kind 'kvother' but its plugin has no resource of that kind"],
      ['ERR_PLUGIN_LOAD_FAILED', `p-crash crashed while loading ${join(await realpath(folders[3] as string), 'index.js')}: boom at import`],
      undefined,
    ]);

    // In a graph that uses none of their kinds: one problem each, at its plugins: entry; nothing loads.
    const graphFile = join(project, 'graphs', 'deep', 'g.yaml');
    await writeFile(graphFile, `graph: g\nplugins:\n${folders.map((folder) => `  - ${folder}\n`).join('')}resources:\n  noop:\n    - name: a\n`);
    const problems = await loadProblems(loadGraphFile(graphFile));
    expect(problems.map((problem) => [problem.code, problem.location?.line])).toEqual([
      ['ERR_PLUGIN_INVALID', 3],
      ['ERR_PLUGIN_INCOMPATIBLE', 4],
      ['ERR_PLUGIN_INVALID', 5],
      ['ERR_PLUGIN_LOAD_FAILED', 6],
    ]);
    // Used: told once, at the entry, not again at the kind.
    await writeFile(graphFile, `graph: g\nplugins:\n  - ${folders[3]}\nresources:\n  kvcrash:\n    - name: a\n`);
    const used = await loadProblems(loadGraphFile(graphFile));
    expect(used.map((problem) => [problem.code, problem.location?.line, (problem.cause as Error).message])).toEqual([['ERR_PLUGIN_LOAD_FAILED', 3, 'boom at import']]);
  });

  it('still only leaves out an installed @converge/res-* package that is incompatible, when it is not used', async () => {
    await writeConventionalPlugin('zfuture', ['zfuture'], { engineApi: '^2.0.0' });
    expect(await unreadableOf([])).toEqual([]);
    expect(await resolverFor().knownKinds()).toContain('zfuture');
    const graphFile = join(project, 'graphs', 'deep', 'g.yaml');
    await writeFile(graphFile, 'graph: g\nresources:\n  noop:\n    - name: a\n');
    expect((await loadGraphFile(graphFile)).resources.size).toBe(1);
  });

  it('refuses a graph whose plugins: names one not installed, at that entry, even when no kind needs it', async () => {
    await writeConventionalPlugin('zwidget', ['zwidget']);
    const graphFile = join(project, 'graphs', 'deep', 'g.yaml');
    const graph = (plugins: string) =>
      `graph: g\nplugins:\n${plugins}resources:\n  noop:\n    - name: a\n  zwidget:\n    - name: b\nedges: []\n`;
    await writeFile(graphFile, graph('  - acme-typo\n'));
    const problems = await loadProblems(loadGraphFile(graphFile));
    // Told once, where it is named; not again at each kind it might have provided.
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.location?.column])).toEqual([
      ['ERR_PLUGIN_NOT_INSTALLED', 3, 5],
    ]);
    expect(problems[0]?.message).toContain("plugin 'acme-typo' is not installed");

    // Named with --plugin: nowhere in the file, so told without a place.
    await writeFile(graphFile, graph(''));
    const fromFlag = await loadProblems(loadGraphFile(graphFile, { plugins: ['acme-flag-typo'] }));
    expect(fromFlag.map((problem) => [problem.code, problem.location])).toEqual([['ERR_PLUGIN_NOT_INSTALLED', undefined]]);
    expect((await loadGraphFile(graphFile)).resources.size).toBe(2);
  });

  it('imports only the packages of kinds asked for', async () => {
    const marker = join(root, 'imported-zbroken');
    await writeConventionalPlugin('zwidget', ['zwidget']);
    await writeConventionalPlugin('zbroken', ['zbroken'], {
      index: `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\nthrow new Error('broken');\n`,
    });
    const resolver = resolverFor();
    expect((await resolver.resolve('zwidget')).kind).toBe('zwidget');
    expect(await resolver.knownKinds()).toEqual(expect.arrayContaining(['noop', 'zbroken', 'zwidget']));
    expect(existsSync(marker)).toBe(false);

    // The control: asking for the broken kind does import it.
    expect((await loadError(resolver.resolve('zbroken'))).code).toBe('ERR_PLUGIN_LOAD_FAILED');
    expect(existsSync(marker)).toBe(true);
  });

  it('gives not installed, incompatible and crashed three codes and clear messages', async () => {
    await writeConventionalPlugin('zold', ['zold'], { engineApi: '^0.1.0' });
    await writeConventionalPlugin('zcrash', ['zcrash'], { index: "throw new Error('kaboom');\n" });
    const resolver = resolverFor();
    const errors = await Promise.all(['zabsent', 'zold', 'zcrash'].map((kind) => loadError(resolver.resolve(kind))));
    expect(errors.map((error) => error.code)).toEqual([
      'ERR_PLUGIN_NOT_INSTALLED',
      'ERR_PLUGIN_INCOMPATIBLE',
      'ERR_PLUGIN_LOAD_FAILED',
    ]);
    expect(errors.map((error) => error.describe())).toEqual([
      expect.stringMatching(/no installed plugin provides kind 'zabsent'.*\n {2}hint: install the plugin that provides it \(by convention @converge\/res-zabsent: npm install/),
      expect.stringMatching(/needs engine API \^0\.1\.0, but this converge provides engine API \d/),
      expect.stringMatching(/@converge\/res-zcrash crashed while loading .*index\.js: kaboom \(at .*index\.js:1:7\)\n {2}hint: /),
    ]);
    expect(errors.every((error) => error.isInputError && error.phase === 'load')).toBe(true);
  });
});
