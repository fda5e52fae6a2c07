import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const run = promisify(execFile);

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

/**
 * A third-party plugin named by the convention (`@converge/res-stamp` for
 * kind `stamp`), written without TypeScript or any registry dependency:
 * plain `$$type`-tagged objects and a plain JSON Schema.
 */
const STAMP_PLUGIN = `
import { readFile, writeFile } from 'node:fs/promises';

const stamp = {
  $$type: '@converge/resource',
  kind: 'stamp',
  description: 'Writes a stamp into a file.',
  params: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'The file to stamp.' },
      mark: { type: 'string', enum: ['draft', 'final'] },
    },
    required: ['path', 'mark'],
  },
  nameParam: 'path',
  create(params) {
    return {
      async checkApply(apply) {
        const current = await readFile(params.path, 'utf8').catch(() => undefined);
        if (current === params.mark) return true;
        if (apply) await writeFile(params.path, params.mark);
        return false;
      },
    };
  },
};

export default { $$type: '@converge/plugin', name: '@converge/res-stamp', resources: [stamp] };
`;

async function packStampPlugin(dir: string): Promise<string> {
  const source = join(dir, 'res-stamp');
  await mkdir(source);
  const manifest = {
    name: '@converge/res-stamp',
    version: '1.2.3',
    type: 'module',
    exports: { '.': './index.js', './package.json': './package.json' },
    converge: { kinds: ['stamp'], engineApi: '^1.0.0' },
  };
  await writeFile(join(source, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(source, 'index.js'), STAMP_PLUGIN);
  const tarballs = join(dir, 'tarballs');
  await mkdir(tarballs);
  await run('npm', ['pack', '--pack-destination', tarballs], { cwd: source });
  const [tarball] = await readdir(tarballs);
  if (tarball === undefined) throw new Error('npm pack made no tarball');
  return join(tarballs, tarball);
}

describe('a plugin installed from a tarball, outside this repository', () => {
  it('is found by its kind alone when converge runs in that project', async () => {
    const dir = await makeTempDir();
    const tarball = await packStampPlugin(dir);
    const project = join(dir, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name": "site", "version": "1.0.0", "private": true}\n');
    await run('npm', ['install', '--no-save', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project });
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@converge/res-stamp/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe('1.2.3');

    const target = join(project, 'release');
    await writeGraph(project, 'graph.yaml', `graph: stamped\nresources:\n  stamp:\n    - name: ${target}\n      mark: final\n`);
    const result = await runCli(['run', ...ONCE, 'graph.yaml'], { cwd: project });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`changed: stamp[${target}]`);
    expect(await readFile(target, 'utf8')).toBe('final');

    // The editor schema made there knows the kind and its enum.
    const schema = await runCli(['schema'], { cwd: project });
    expect(schema.code, schema.stderr).toBe(0);
    const definitions = (JSON.parse(schema.stdout) as { definitions: Record<string, { properties: Record<string, { enum?: string[] }> }> }).definitions;
    expect(definitions['kind.stamp']?.properties['mark']?.enum).toEqual(['draft', 'final']);
  }, 120_000);
});
