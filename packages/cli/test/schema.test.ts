import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { writeTestPlugin } from './support/test-plugin.js';

let schema: Record<string, unknown>;
let validate: ValidateFunction;

beforeAll(async () => {
  const dir = await makeTempDir();
  const output = join(dir, 'converge.schema.json');
  const plugin = await writeTestPlugin(dir);
  const result = await runCli(['schema', '--plugin', plugin, '-o', output]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(/wrote .*converge\.schema\.json \(\d+ kinds: .*file.*\)/);
  schema = JSON.parse(await readFile(output, 'utf8')) as Record<string, unknown>;
  // Strict: a keyword ajv does not know would be one an editor might not know either.
  // Not for numbers: `.inf` is a number to the YAML language server (limit: .inf is "no limit").
  validate = new Ajv({ allErrors: true, strict: true, strictNumbers: false }).compile(schema);
}, 60_000);
afterAll(removeTempDirs);

/** Params, metaparams, a notify edge and a send/recv edge: everything a graph may hold. */
const FULL_GRAPH = `graph: full
comment: every part of a graph
resources:
  file:
    - name: /srv/app/
      state: exists
      mode: "0755"
    - name: /srv/app/secret
      state: exists
      owner: root
      meta: {retry: 3, delay: 500, sema: ['io:2'], noop: false}
  password:
    - name: db
      length: 16
      saved: true
  noop:
    - name: reload
edges:
  - name: secret-reload
    from: {kind: file, name: /srv/app/secret}
    to: {kind: noop, name: reload}
    notify: true
  - from: {kind: password, name: db}
    to: {kind: file, name: /srv/app/secret}
    send: password
    recv: content
`;

/** The schema errors for a graph written in YAML (empty when valid). */
function errorsOf(yamlText: string): ErrorObject[] {
  return validate(parse(yamlText)) ? [] : (validate.errors ?? []);
}

describe('converge schema', () => {
  it('is a draft-07 schema with the installed kinds, the built-in noop and --plugin kinds', () => {
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    const definitions = schema['definitions'] as Record<string, Record<string, unknown>>;
    for (const kind of ['noop', 'file', 'exec', 'password', 'touch']) expect(definitions[`kind.${kind}`], kind).toBeDefined();
    const file = definitions['kind.file'] as { description: string; properties: Record<string, { description?: string; anyOf?: { enum?: unknown[] }[] }> };
    expect(file.description).toMatch(/file, directory/);
    // The enum an editor completes, beside the param left empty (null).
    expect(file.properties['state']?.anyOf?.[0]?.enum).toEqual(['exists', 'absent', '']);
    expect(file.properties['content']?.description).toBe('The exact content of the file.');
    expect(Object.keys((definitions['meta'] as { properties: object }).properties)).toContain('retry');
  });

  it('accepts the example graph and a graph using params, metaparams, send/recv and notify edges', async () => {
    expect(errorsOf(await readFile(join(REPO_ROOT, 'examples/hello.yaml'), 'utf8'))).toEqual([]);
    // Keys left empty, as validate accepts them (QA: the editor flagged graphs that run).
    expect(errorsOf('graph: g\nplugins:\ncollect:\nresources:\n  noop:\n  - name: a\n    meta:\n  file:\nedges:\n')).toEqual([]);
    expect(errorsOf(FULL_GRAPH)).toEqual([]);
  });

  it('flags a bad enum value, an unknown param, an unknown kind and a bad metaparam', () => {
    const bad = `graph: bad
resources:
  file:
    - name: /tmp/a
      state: present
      contnet: typo
      meta: {retry: -2, retyr: 1}
  flie:
    - name: /tmp/b
edges:
  - from: {kind: file, name: /tmp/a}
    to: {kind: nope, name: x}
`;
    const errors = errorsOf(bad).map((error) => `${error.instancePath} ${error.keyword} ${JSON.stringify(error.params)}`);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/resources\/file\/0\/state enum /),
        expect.stringMatching(/^\/resources\/file\/0 additionalProperties .*"contnet"/),
        expect.stringMatching(/^\/resources\/file\/0\/meta\/retry minimum /),
        expect.stringMatching(/^\/resources\/file\/0\/meta additionalProperties .*"retyr"/),
        expect.stringMatching(/^\/resources additionalProperties .*"flie"/),
        expect.stringMatching(/^\/edges\/0\/to\/kind enum /),
      ]),
    );
    // One place each (a union tells its alternatives at the same place).
    expect(new Set(errorsOf(bad).map((error) => error.instancePath)).size).toBe(6);
  });

  it("accepts the params of mgmt's graphs that load with a warning, marked deprecated (QA: pollint and an exec's state were errors in an editor)", () => {
    const legacy = [
      'graph: g',
      'resources:',
      '  exec:',
      '    - {name: a, cmd: "true", state: present, pollint: 0, send_output: true}',
      '  file:',
      '    - {name: f.conf, dirname: /etc/app/, state: exists}',
    ].join('\n');
    expect(errorsOf(legacy)).toEqual([]);
    expect(errorsOf(legacy.replace('dirname: /etc/app/', 'dirname: /etc/app')).map((error) => error.instancePath)).toContain('/resources/file/0/dirname');
    const exec = ((schema['definitions'] as Record<string, { properties: Record<string, { deprecated?: boolean }> }>)['kind.exec'] ?? { properties: {} }).properties;
    expect(exec['pollint']?.deprecated).toBe(true);
  });

  it('accepts a number or true/false where a param takes free text, as converge reads it (as written, with a warning), marked deprecated (QA: an error in an editor)', () => {
    const written = [
      'graph: g',
      'resources:',
      '  file:',
      '    - {name: /srv/f, state: exists, content: 5}',
      '  exec:',
      '    - {name: e, cmd: echo, env: {PORT: 8080, DEBUG: false}, args: [1, 2.5]}',
    ].join('\n');
    expect(errorsOf(written)).toEqual([]);
    // Not where the text has a form to meet, nor a list or a map where text is wanted.
    expect(errorsOf(written.replace('state: exists', 'state: 5'))).not.toEqual([]);
    expect(errorsOf(written.replace('content: 5', 'content: [5]'))).not.toEqual([]);
    // Nor where the param takes numbers of its own, with their limits (QA: mode: 99999 passed).
    expect(errorsOf(written.replace('content: 5', 'mode: 640'))).toEqual([]);
    for (const mode of ['99999', 'true', '1.5']) expect(errorsOf(written.replace('content: 5', `mode: ${mode}`)), mode).not.toEqual([]);
  });

  it("accepts every form of mgmt's graphs that validate loads with a warning (QA: yes, null, numeric names, cmd: \"\" were errors in an editor)", async () => {
    const graph = `graph: 8080
comment:
resources:
  exec:
  - name: a
    cmd: "true"
    refreshonly: yes
    timeout:
    env: {A: ~, B: 1}
    args: [x, ~]
    send_output: yes
  - name: 8080
    cmd: ""
  - name: true
    ifcmd: "true"
    meta: {dollar: true, async: false, noop: On, poll: , limit: .inf}
  file:
  - name: /tmp/x/null2
    state: exists
    content:
    owner: true
    mode: 0640
    meta: {autogroup: no, retry: null}
  - name: /tmp/x/sym
    state: exists
    mode: "u=rw,g=r,o="
    force: N
    dirname: ""
  password:
  - name: p
    length:
    saved: YES
edges:
- {from: {kind: exec, name: a}, to: {kind: File, name: /tmp/x/null2}, notify: yes}
- {from: {res: exec, name: 8080}, to: {kind: exec, name: true}, notify: }
collect:
- {kind: File}
`;
    const dir = await makeTempDir();
    const file = join(dir, 'mgmt.yaml');
    await writeFile(file, graph);
    const loaded = await runCli(['validate', file]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stderr).toMatch(/read 'refreshonly: yes' as true/);
    expect(errorsOf(graph)).toEqual([]);
  });

  it('accepts a YAML 1.1 boolean inside a param where a boolean is taken, as validate loads it (QA: read_only: yes was refused by both)', async () => {
    const graph = 'graph: g\nresources:\n  virt:\n  - name: v\n    uri: "test:///default"\n    filesystem: [{source: /srv/share, target: share, read_only: yes}, {source: /srv/b, target: "no", read_only: Off}]\n';
    const dir = await makeTempDir();
    const file = join(dir, 'virt.yaml');
    await writeFile(file, graph);
    const loaded = await runCli(['validate', file]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stderr).toMatch(/virt\.yaml:6:\d+: .*param 'filesystem' entry 1's read_only: read 'read_only: yes' as true/);
    expect(errorsOf(graph)).toEqual([]);
    // Any other word is still flagged there, as validate refuses it.
    expect(errorsOf(graph.replace('read_only: Off', 'read_only: maybe')).map((error) => error.instancePath)).toContain('/resources/virt/0/filesystem/1/read_only');
  }, 60_000);

  it('still flags what validate refuses where the editor can tell', async () => {
    const cases: Record<string, string> = {
      'a word where a boolean is taken': 'noop:\n  - {name: n, meta: {noop: maybe}}',
      "a word in a case mgmt's reader does not take as a boolean": 'noop:\n  - {name: n, meta: {noop: yEs}}',
      "yes where a number is taken": 'noop:\n  - {name: n, meta: {retry: yes}}',
      'a required param left empty': 'docker:container:\n  - {name: c, image: }',
      'a mode that is not octal': 'file:\n  - {name: /tmp/m, state: exists, mode: "0999"}',
      "a mode clause other than who=perms": 'file:\n  - {name: /tmp/m, state: exists, mode: "u+x"}',
      'a blank name': 'noop:\n  - {name: " "}',
      'an unknown metaparam': 'noop:\n  - {name: n, meta: {retyr: 1}}',
      'a mapping where text is taken': 'file:\n  - {name: /tmp/m, state: exists, content: {a: b}}',
      'an unknown key in a list entry': 'virt:\n  - {name: v, uri: "test:///default", disk: [{source: /tmp/v.img, typ: raw}]}',
    };
    const dir = await makeTempDir();
    for (const [what, resources] of Object.entries(cases)) {
      const graph = `graph: g\nresources:\n  ${resources}\n`;
      expect(errorsOf(graph), what).not.toEqual([]);
      const file = join(dir, 'bad.yaml');
      await writeFile(file, graph);
      expect((await runCli(['validate', file])).code, what).toBe(2);
    }
    // An edge end with both kind and mgmt's older res.
    expect(errorsOf('graph: g\nresources: {noop: [{name: a}, {name: b}]}\nedges: [{from: {kind: noop, res: noop, name: a}, to: {kind: noop, name: b}}]\n')).not.toEqual([]);
  }, 60_000);

  it('requires a resource name but not the param that defaults to it', () => {
    expect(errorsOf('graph: g\nresources:\n  file:\n    - state: exists\n').map((error) => error.message)).toEqual([
      "must have required property 'name'",
    ]);
    expect(errorsOf('graph: g\nresources:\n  exec:\n    - name: echo hi\n')).toEqual([]);
  });

  it("does not require a key with a default inside a param, as validate does not (QA: a disk's type was required)", () => {
    const graph = 'graph: g\nresources:\n  virt:\n    - name: v\n      disk: [{source: /tmp/v.img}]\n      filesystem: [{source: /srv, target: srv}]\n';
    expect(errorsOf(graph)).toEqual([]);
  });

  it('refuses a --plugin that is not installed, rather than leave kinds out without a failure', async () => {
    const dir = await makeTempDir();
    const output = join(dir, 'schema.json');
    const result = await runCli(['schema', '--plugin', 'converge-res-not-here', '-o', output], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("plugin 'converge-res-not-here' is not installed");
    expect(result.stderr).toContain('hint: npm install converge-res-not-here');
    await expect(readFile(output, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
