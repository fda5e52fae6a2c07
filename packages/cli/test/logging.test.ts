import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { killAll, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

async function touchGraph(): Promise<{ plugin: string; graph: string }> {
  const dir = await makeTempDir();
  const plugin = await writeTestPlugin(dir);
  const graph = await writeGraph(
    dir,
    'graph.yaml',
    `graph: g\nresources:\n  touch:\n    - name: marker\n      path: ${join(dir, 'marker')}\n`,
  );
  return { plugin, graph };
}

describe('logs', () => {
  it('writes JSON lines on stderr with --log-json, resource lines tagged kind[name]', async () => {
    const { plugin, graph } = await touchGraph();

    const result = await runCli(['run', ...ONCE, '--log-json', '--log-level', 'debug', '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const fromResource = records.filter((record) => record['resource'] === 'touch[marker]');
    expect(fromResource.map((record) => record['msg'])).toEqual(expect.arrayContaining(['touch ready', 'wrote file']));
  });

  it('gives the line that tells a failure, as it happens, the error code the summary gives it', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    const graph = await writeGraph(dir, 'graph.yaml', 'graph: g\nresources:\n  fail:\n    - name: broken\n');

    const result = await runCli(['run', ...ONCE, '--log-json', '--plugin', plugin, graph]);

    expect(result.code).toBe(1);
    const records = result.stderr.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    const failures = records.filter((record) => record['resource'] === 'fail[broken]' && record['level'] === 50);
    // Told when it fails, then again in the summary: both with the code.
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const record of failures) expect(record['code'], JSON.stringify(record)).toBe('ERR_RESOURCE_CHECK_APPLY');
  });

  it('writes readable lines naming the resource when not a terminal', async () => {
    const { plugin, graph } = await touchGraph();

    const result = await runCli(['run', ...ONCE, '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/INFO.*touch\[marker\]: wrote file/);
    expect(result.stderr).not.toMatch(/\x1b\[/); // no colours in a pipe
  });

  it('hides info lines at --log-level warn', async () => {
    const { plugin, graph } = await touchGraph();

    const result = await runCli(['run', ...ONCE, '--log-level', 'warn', '--plugin', plugin, graph]);

    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('wrote file');
  });

  it('hides load warnings at --log-level error in text as in JSON lines (QA: text showed them)', async () => {
    const dir = await makeTempDir();
    const plugin = await writeTestPlugin(dir);
    // `meta: {noop: no}`: a YAML 1.1 boolean, read as mgmt reads it, with a warning.
    const graph = await writeGraph(dir, 'graph.yaml', `graph: g\nresources:\n  touch:\n    - name: marker\n      path: ${join(dir, 'marker')}\n      meta: {noop: no}\n`);
    const shown = await runCli(['run', ...ONCE, '--plugin', plugin, graph]);
    expect(shown.stderr).toContain('warning: touch[marker]');
    for (const json of [[], ['--log-json']]) {
      const result = await runCli(['run', ...ONCE, ...json, '--log-level', 'error', '--plugin', plugin, graph]);
      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain('warning');
      expect(result.stderr).not.toContain('YAML 1.1');
    }
  });
});

describe('colours', () => {
  it('are off with NO_COLOR (any value but empty) or FORCE_COLOR=0, even at a terminal', async () => {
    const { colorAllowed, createRootLogger } = await import('../src/logging.js');
    expect(colorAllowed({})).toBe(true);
    expect(colorAllowed({ NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ NO_COLOR: '' })).toBe(true);
    expect(colorAllowed({ FORCE_COLOR: '0' })).toBe(false);
    const saved = process.env['NO_COLOR'];
    const lines: string[] = [];
    try {
      process.env['NO_COLOR'] = '1';
      createRootLogger({ level: 'info', json: false, color: true, hostname: 'h' }, { write: (text) => lines.push(text) }).error('boom');
    } finally {
      if (saved === undefined) delete process.env['NO_COLOR'];
      else process.env['NO_COLOR'] = saved;
    }
    expect(lines.join('')).toContain('ERROR: boom');
    expect(lines.join('')).not.toContain('\x1b[');
  });
});
