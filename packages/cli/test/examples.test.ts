import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ONCE } from './support/graphs.js';
import { REPO_ROOT, runCli } from './support/run-cli.js';

const EXAMPLES = join(REPO_ROOT, 'examples');

describe('the examples a new user runs from the README', () => {
  it('every example graph validates', async () => {
    const graphs = (await readdir(EXAMPLES)).filter((name) => name.endsWith('.yaml'));
    expect(graphs.length).toBeGreaterThanOrEqual(2);
    for (const graph of graphs) {
      const result = await runCli(['validate', join(EXAMPLES, graph)]);
      expect(result.code, `${graph}: ${result.stderr}`).toBe(0);
    }
  });

  it('local-app.yaml converges, keeps the secret out of the output, and reloads only on a change', async () => {
    const root = '/tmp/converge-example';
    await rm(root, { recursive: true, force: true });
    const first = await runCli(['run', ...ONCE, join(EXAMPLES, 'local-app.yaml')]);
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(join(root, 'app.conf'), 'utf8')).toBe('listen = 127.0.0.1:8080\nworkers = 4\n');
    const secret = await readFile(join(root, 'db.secret'), 'utf8');
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await stat(join(root, 'db.secret'))).mode & 0o777).toBe(0o600);
    expect(first.stdout + first.stderr).not.toContain(secret);
    expect(await readFile(join(root, 'reloads.log'), 'utf8')).toBe('config changed, reloading\n');
    // A second run finds the config in place: no refresh, no second reload.
    const second = await runCli(['run', ...ONCE, join(EXAMPLES, 'local-app.yaml')]);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(join(root, 'reloads.log'), 'utf8')).toBe('config changed, reloading\n');
    await rm(root, { recursive: true, force: true });
  });
});
