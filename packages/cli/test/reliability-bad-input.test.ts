import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONCE } from './support/graphs.js';
import { killAll, runCli, type CliResult } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// Every broken graph goes through the built command twice (`run` and
// `validate`): exit 2, a message that points at FILE:LINE:COLUMN, never a
// stack trace, and nothing applied. Each graph manages files under its own
// target folder (`@TMP@` in the fixtures); that folder must stay empty.

const FIXTURES = join(import.meta.dirname, 'fixtures', 'bad-input');
/** Node's CPU is shared with other suites: a few CLI processes at a time. */
const CONCURRENCY = 4;
const CANARY = (target: string): string =>
  `graph: g\nresources:\n  file:\n  - name: ${target}/canary\n    state: exists\n    content: "applied\\n"\n`;

interface BadGraph {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** False when the problem has no line (the file as a whole is refused). */
  readonly hasLine: boolean;
}

/** Broken graphs that are easier to make than to check in. */
function generatedGraphs(targetFor: (name: string) => string): BadGraph[] {
  const text = (value: string): Uint8Array => Buffer.from(value, 'utf8');
  const canaryOf = (name: string): string => CANARY(targetFor(name));
  const binary = Buffer.alloc(4096);
  // A fixed pseudo-random pattern (no NUL-free luck), NULs included.
  for (let index = 0; index < binary.length; index++) binary[index] = (index * 7919 + 13) % 256;
  const huge = Buffer.alloc(16 * 1024 * 1024 + 16, '#');
  huge.write(canaryOf('huge-over-16-mib.yaml'), 'utf8');
  huge[huge.length - 1] = 0x0a;
  return [
    { name: 'huge-over-16-mib.yaml', bytes: huge, hasLine: false },
    { name: 'deep-flow-nesting.yaml', bytes: text(`${canaryOf('deep-flow-nesting.yaml')}    comment: ${'['.repeat(200)}${']'.repeat(200)}\n`), hasLine: true },
    { name: 'very-deep-flow-nesting.yaml', bytes: text(`${canaryOf('very-deep-flow-nesting.yaml')}    comment: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`), hasLine: true },
    {
      name: 'deep-block-nesting.yaml',
      bytes: text(`${canaryOf('deep-block-nesting.yaml')}    owner:\n${Array.from({ length: 100 }, (_, depth) => `${'  '.repeat(depth + 3)}k${depth}:`).join('\n')} x\n`),
      hasLine: true,
    },
    { name: 'binary.yaml', bytes: binary, hasLine: true },
    {
      name: 'non-utf8.yaml',
      bytes: Buffer.concat([text(canaryOf('non-utf8.yaml')), text('    comment: caf'), Buffer.from([0xe9, 0x0a])]),
      hasLine: true,
    },
    { name: 'nul-byte.yaml', bytes: text(`${canaryOf('nul-byte.yaml')}    comment: "a\u0000b"\n  bad\u0000: x\n`), hasLine: true },
    { name: 'utf16.yaml', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(canaryOf('utf16.yaml'), 'utf16le')]), hasLine: true },
  ];
}

async function fixtureGraphs(targetFor: (name: string) => string): Promise<BadGraph[]> {
  const names = (await readdir(FIXTURES)).filter((name) => name.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      bytes: Buffer.from((await readFile(join(FIXTURES, name), 'utf8')).replaceAll('@TMP@', targetFor(name)), 'utf8'),
      hasLine: true,
    })),
  );
}

/** Runs `work` over `items`, at most `limit` at once, keeping the order of results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

interface Outcome {
  readonly graph: BadGraph;
  readonly file: string;
  readonly target: string;
  readonly run: CliResult;
  readonly validate: CliResult;
  readonly leftInTarget: string[];
}

const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  const root = await makeTempDir();
  // One target folder per graph: the folder `@TMP@` names in it.
  const targetFor = (name: string): string => join(root, 'targets', name.replace(/\.yaml$/, ''));
  const all = [...(await fixtureGraphs(targetFor)), ...generatedGraphs(targetFor)];
  const graphs = await Promise.all(
    all.map(async (graph) => {
      const target = targetFor(graph.name);
      await mkdir(target, { recursive: true });
      const file = join(root, graph.name);
      await writeFile(file, graph.bytes);
      return { graph, file, target };
    }),
  );
  const results = await mapLimited(graphs, CONCURRENCY, async ({ graph, file, target }) => {
    const run = await runCli(['run', ...ONCE, '--no-watch', file], { timeoutMs: 30_000 });
    const validate = await runCli(['validate', file], { timeoutMs: 30_000 });
    return { graph, file, target, run, validate, leftInTarget: await readdir(target) };
  });
  for (const outcome of results) outcomes.set(outcome.graph.name, outcome);
}, 170_000);

afterAll(async () => {
  killAll();
  await removeTempDirs();
});

function expectRefused(result: CliResult, outcome: Outcome, command: string): void {
  const context = `${command} ${outcome.graph.name}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.code, context).toBe(2);
  expect(result.stderr, context).not.toMatch(/^\s+at /m);
  expect(result.stderr, context).not.toMatch(/RangeError|TypeError|Maximum call stack/);
  const where = outcome.graph.hasLine ? new RegExp(`${escape(outcome.file)}:\\d+:\\d+: `) : new RegExp(escape(outcome.file));
  expect(result.stderr, context).toMatch(where);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('bad input through the built command', () => {
  it('has at least 40 broken graphs, each named below', async () => {
    const fixtures = (await readdir(FIXTURES)).filter((name) => name.endsWith('.yaml'));
    expect(fixtures.length + generatedGraphs(() => '/x').length).toBeGreaterThanOrEqual(40);
    expect(outcomes.size).toBe(fixtures.length + generatedGraphs(() => '/x').length);
  });

  it('refuses each with exit 2, FILE:LINE and no stack trace, and applies nothing', () => {
    const failures: string[] = [];
    for (const outcome of outcomes.values()) {
      try {
        expectRefused(outcome.run, outcome, 'run');
        expectRefused(outcome.validate, outcome, 'validate');
        expect(outcome.leftInTarget, `${outcome.graph.name}: applied something`).toEqual([]);
        expect(outcome.run.stdout, `${outcome.graph.name}: run reported progress`).not.toMatch(/changed|converged:/);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });
});
