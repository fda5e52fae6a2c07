import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isEngineError, type EngineErrorCode } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { resolveGraph } from '../src/graph/resolve.js';
import { loadGraphFile } from '../src/graph/load-graph.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { parseGraphYaml } from '../src/yaml/parse.js';
import { readGraphFile } from '../src/yaml/read.js';
import { mapResolver } from './fixtures/kinds.js';

const BAD = join(import.meta.dirname, 'fixtures', 'bad');

/** Each broken graph in fixtures/bad: the error code it must produce and the line it must point at. */
const EXPECTED: Record<string, readonly [EngineErrorCode, number]> = {
  'alias-bomb.yaml': ['ERR_YAML_SYNTAX', 9],
  'binary-tag.yaml': ['ERR_YAML_SYNTAX', 5],
  'custom-tag.yaml': ['ERR_YAML_SYNTAX', 5],
  'cycle.yaml': ['ERR_CYCLE', 9],
  'duplicate-conflict.yaml': ['ERR_DUPLICATE_RESOURCE', 6],
  'duplicate-key.yaml': ['ERR_YAML_SYNTAX', 6],
  'duplicate-resource.yaml': ['ERR_DUPLICATE_RESOURCE', 6],
  'edge-from-missing-kind.yaml': ['ERR_GRAPH_SHAPE', 8],
  'edge-missing-to.yaml': ['ERR_GRAPH_SHAPE', 6],
  'edge-unknown-key.yaml': ['ERR_GRAPH_SHAPE', 9],
  'edge-unknown-resource.yaml': ['ERR_UNKNOWN_RESOURCE', 6],
  'empty.yaml': ['ERR_GRAPH_SHAPE', 1],
  'graph-name-not-string.yaml': ['ERR_GRAPH_SHAPE', 2],
  'invalid-utf8.yaml': ['ERR_GRAPH_FILE', 2],
  'kind-not-list.yaml': ['ERR_GRAPH_SHAPE', 4],
  'meta-limit-type.yaml': ['ERR_META_INVALID', 6],
  'meta-not-mapping.yaml': ['ERR_GRAPH_SHAPE', 5],
  'meta-retry-range.yaml': ['ERR_META_INVALID', 6],
  'meta-sema-size.yaml': ['ERR_META_INVALID', 6],
  'meta-unknown.yaml': ['ERR_META_INVALID', 6],
  'missing-graph-name.yaml': ['ERR_GRAPH_SHAPE', 1],
  'missing-required.yaml': ['ERR_PARAM_TYPE', 4],
  'not-a-mapping.yaml': ['ERR_GRAPH_SHAPE', 1],
  'notify-not-bool.yaml': ['ERR_GRAPH_SHAPE', 9],
  'nul-byte.yaml': ['ERR_YAML_SYNTAX', 4],
  'param-enum.yaml': ['ERR_PARAM_TYPE', 5],
  'param-invalid.yaml': ['ERR_PARAM_INVALID', 4],
  'param-nested-type.yaml': ['ERR_PARAM_TYPE', 7],
  'param-nested-list-item.yaml': ['ERR_PARAM_TYPE', 8],
  'param-nested-many.yaml': ['ERR_PARAM_TYPE', 7],
  'param-type.yaml': ['ERR_PARAM_TYPE', 5],
  'plugin-not-installed.yaml': ['ERR_PLUGIN_NOT_INSTALLED', 3],
  'plugins-not-list.yaml': ['ERR_GRAPH_SHAPE', 2],
  'proto-key.yaml': ['ERR_GRAPH_SHAPE', 6],
  'recursive-alias.yaml': ['ERR_YAML_SYNTAX', 5],
  'recv-twice.yaml': ['ERR_SEND_RECV', 13],
  'recv-unknown-param.yaml': ['ERR_SEND_RECV', 8],
  'resource-name-empty.yaml': ['ERR_GRAPH_SHAPE', 4],
  'resource-name-list.yaml': ['ERR_GRAPH_SHAPE', 4],
  'resource-no-name.yaml': ['ERR_GRAPH_SHAPE', 5],
  'resource-not-mapping.yaml': ['ERR_GRAPH_SHAPE', 4],
  'resources-is-list.yaml': ['ERR_GRAPH_SHAPE', 3],
  'self-edge.yaml': ['ERR_SELF_EDGE', 6],
  'shape-and-params.yaml': ['ERR_GRAPH_SHAPE', 5],
  'send-type-mismatch.yaml': ['ERR_SEND_RECV', 8],
  'send-unknown-key.yaml': ['ERR_SEND_RECV', 8],
  'send-without-recv.yaml': ['ERR_SEND_RECV', 8],
  'several-documents.yaml': ['ERR_GRAPH_SHAPE', 2],
  'syntax-bad-indent.yaml': ['ERR_YAML_SYNTAX', 5],
  'syntax-tab-indent.yaml': ['ERR_YAML_SYNTAX', 3],
  'syntax-unclosed-flow.yaml': ['ERR_YAML_SYNTAX', 4],
  'syntax-unclosed-list.yaml': ['ERR_YAML_SYNTAX', 6],
  'syntax-unclosed-quote.yaml': ['ERR_YAML_SYNTAX', 5],
  'unknown-alias.yaml': ['ERR_YAML_SYNTAX', 5],
  'unknown-kind.yaml': ['ERR_UNKNOWN_KIND', 5],
  'same-identity.yaml': ['ERR_DUPLICATE_RESOURCE', 8],
  'unknown-kind-empty.yaml': ['ERR_UNKNOWN_KIND', 6],
  'unknown-kind-no-name.yaml': ['ERR_GRAPH_SHAPE', 5],
  'unknown-kind-null.yaml': ['ERR_UNKNOWN_KIND', 4],
  'unknown-param.yaml': ['ERR_UNKNOWN_PARAM', 5],
  'unknown-top-key.yaml': ['ERR_GRAPH_SHAPE', 2],
  'collect-unknown-key.yaml': ['ERR_GRAPH_SHAPE', 4],
  'validate-throws.yaml': ['ERR_PARAM_INVALID', 4],
  'shape-and-missing-end.yaml': ['ERR_GRAPH_SHAPE', 13],
  'edge-to-unread-resource.yaml': ['ERR_GRAPH_SHAPE', 5],
};

async function loadError(path: string): Promise<GraphLoadError> {
  try {
    await resolveGraph(parseGraphYaml(await readGraphFile(path), path), mapResolver());
  } catch (error) {
    if (error instanceof GraphLoadError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without error`);
}

describe('broken graphs', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    expect(readdirSync(BAD).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s fails with %j', async (file, [code, line]) => {
    const path = join(BAD, file);
    const error = await loadError(path);
    expect(error.problems.map((problem) => [problem.code, problem.location?.line])).toContainEqual([code, line]);
    for (const problem of error.problems) {
      expect(isEngineError(problem)).toBe(true);
      expect(problem.location?.file).toBe(path);
      expect(problem.location?.column).toBeGreaterThanOrEqual(1);
      expect(problem.isInputError).toBe(true);
    }
  });
});

describe('a graph with a shape problem', () => {
  it('is checked further all the same: its params are told in the same load', async () => {
    const path = join(BAD, 'shape-and-params.yaml');
    const error = await loadGraphFile(path, { resolver: mapResolver() }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GraphLoadError);
    expect((error as GraphLoadError).problems.map((problem) => [problem.code, problem.location?.line])).toEqual([
      ['ERR_GRAPH_SHAPE', 5],
      ['ERR_PARAM_TYPE', 8],
      ['ERR_PARAM_TYPE', 11],
    ]);
  });
});

describe('an unknown kind whose entries have no name', () => {
  it('is told as unknown too, at its key, in the same load (QA: only "has no name" was told)', async () => {
    const error = await loadGraphFile(join(BAD, 'unknown-kind-no-name.yaml'), { resolver: mapResolver() }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GraphLoadError);
    expect((error as GraphLoadError).problems.map((problem) => [problem.code, problem.location?.line, problem.location?.column, problem.message, problem.hint])).toEqual([
      ['ERR_UNKNOWN_KIND', 5, 3, "unknown kind 'fille'", 'known kinds: noop, file, exec, pkg, crashy'],
      ['ERR_GRAPH_SHAPE', 5, 11, "a resource of kind 'fille' has no name", 'add `name: ...`'],
    ]);
  });
});

describe('edges to resources not in a graph with a shape problem', () => {
  const problemsOf = async (file: string): Promise<Array<[string, number | undefined]>> => {
    const error = await loadGraphFile(join(BAD, file), { resolver: mapResolver() }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GraphLoadError);
    return (error as GraphLoadError).problems.map((problem) => [problem.code, problem.location?.line]);
  };

  it('are told in the same load as the shape problem', async () => {
    expect(await problemsOf('shape-and-missing-end.yaml')).toEqual([
      ['ERR_UNKNOWN_RESOURCE', 7],
      ['ERR_GRAPH_SHAPE', 13],
    ]);
  });

  it('are not told when a resource could not be read (the edge may be to it)', async () => {
    expect(await problemsOf('edge-to-unread-resource.yaml')).toEqual([['ERR_GRAPH_SHAPE', 5]]);
  });
});

describe('entries of a param that do not fit', () => {
  it('are each told at their own line, up to five a param, then how many more', async () => {
    const error = await loadError(join(BAD, 'param-nested-many.yaml'));
    expect(error.problems.map((problem) => [problem.location?.line, problem.message])).toEqual([
      [7, "param 'env' at X: expected string, got a list of 1"],
      [8, "param 'env' at D: expected string, got 5"],
      ...[0, 1, 2, 3, 4].map((index) => [9, `param 'args' entry ${index + 1}: expected string, got ${index + 1}`]),
      [9, "param 'args': 2 more entries do not fit either"],
    ]);
  });
});
