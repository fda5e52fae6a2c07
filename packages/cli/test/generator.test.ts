import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/run-cli.js';

const run = promisify(execFile);

/** The environment without this vitest's own variables, so a nested vitest runs as a fresh one. */
function cleanEnv(): NodeJS.ProcessEnv {
  // No colours: under `nx run-many` FORCE_COLOR is set, and the output is matched as text.
  const env: NodeJS.ProcessEnv = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('VITEST') && key !== 'NODE_ENV') env[key] ??= value;
  return env;
}

describe('npx nx g @converge/tools:resource NAME', () => {
  it('creates packages/res-NAME that builds and passes its own testkit test', async () => {
    // A unique kind, in the real repository (its tsconfig base, testkit and vitest config); removed at the end.
    const kind = `gentest${process.pid}`;
    const root = join(REPO_ROOT, 'packages', `res-${kind}`);
    try {
      // Quotes in the description must survive into JSON and TypeScript.
      const description = `Keeps Bob's "hello" file.`;
      const generated = await run('npx', ['nx', 'g', '@converge/tools:resource', kind, '--description', description], { cwd: REPO_ROOT, env: cleanEnv() });
      expect(generated.stdout).toContain(`CREATE packages/res-${kind}/src/index.ts`);

      const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest['name']).toBe(`@converge/res-${kind}`);
      expect(manifest['nx']).toEqual({ name: `res-${kind}` });
      expect(manifest['converge']).toEqual({ kinds: [kind], engineApi: '^1.0.0' });
      expect(manifest['description']).toBe(`The converge ${kind} resource: ${description}`);
      expect(await readFile(join(root, 'README.md'), 'utf8')).toContain(`# @converge/res-${kind}`);

      // -p, not -b: building references again would rewrite other packages'
      // dist folders while other tests import them.
      await run('npx', ['tsc', '-p', `packages/res-${kind}`], { cwd: REPO_ROOT, env: cleanEnv() });
      // A failing test fails the command; the report says how many ran.
      await run('npx', ['vitest', 'run', '-c', '../../vitest.config.ts'], { cwd: root, env: cleanEnv() });
      const report = JSON.parse(await readFile(join(root, '.test-results', 'vitest.json'), 'utf8')) as Record<string, unknown>;
      expect(report).toMatchObject({ numPassedTests: 6, numFailedTests: 0, success: true });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses a name that is not a kind', async () => {
    const failed = run('npx', ['nx', 'g', '@converge/tools:resource', 'Bad_Name', '--dry-run'], { cwd: REPO_ROOT, env: cleanEnv() });
    await expect(failed).rejects.toMatchObject({ stderr: expect.stringMatching(/pattern|not a kind name/) });
  }, 60_000);
});
