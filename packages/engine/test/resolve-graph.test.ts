import { DEFAULT_META, EngineError, defineResource, Type, type AnyResourceDefinition } from '@converge/engine-api';
import { fileResource } from '@converge/res-file';
import { passwordResource } from '@converge/res-password';
import { describe, expect, it } from 'vitest';
import { kvResource } from '../src/builtin/kv.js';
import { GraphLoadError } from '../src/graph/load-error.js';
import { resolveGraph } from '../src/graph/resolve.js';
import type { ResolvedGraph } from '../src/graph/spec.js';
import type { KindResolver } from '../src/loader/kind-resolver.js';
// These tests look at locations, which only the precise parser keeps.
import { parseGraphYamlPrecisely as parseGraphYaml } from '../src/yaml/parse.js';
import { mapResolver, testKinds } from './fixtures/kinds.js';

/** The graph's name goes last so that line N of the file is `lines[N - 1]`. */
async function resolveYaml(lines: readonly string[], resolver: KindResolver = mapResolver()): Promise<ResolvedGraph> {
  return resolveGraph(parseGraphYaml([...lines, 'graph: g'].join('\n'), 'g.yaml'), resolver);
}

async function problemsOf(lines: readonly string[], resolver: KindResolver = mapResolver()): Promise<EngineError[]> {
  try {
    await resolveYaml(lines, resolver);
  } catch (error) {
    if (error instanceof GraphLoadError) return [...error.problems];
    throw error;
  }
  throw new Error('resolved without error');
}

describe('resolveGraph: a list or a mapping that fits no form of a param', () => {
  const envKind = defineResource({
    kind: 'svcenv',
    params: Type.Object({ env: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Record(Type.String(), Type.String())])) }),
    create: () => ({ checkApply: () => true }),
  }) as unknown as AnyResourceDefinition;
  const resolver = mapResolver([envKind]);

  it('is told at the entry that does not fit its own form, and its values are not quoted', async () => {
    const problems = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: {PORT: 80, TOKEN: s3cret}'], resolver);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, "param 'env' at PORT: expected string, got 80", 'quote it, as written, to make it a string (YAML read it as the number 80)'],
    ]);
    const [word] = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: {DEBUG: true}'], resolver);
    expect(word?.hint).toBe('quote it, as written, to make it a string (YAML read it as true)');
    const [whole] = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: 5'], resolver);
    expect(whole?.message).toBe("param 'env': expected list of string or mapping, got 5");
    const [nested] = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: {A: [s3cret]}'], resolver);
    expect(nested?.message).toBe("param 'env' at A: expected string, got a list of 1");
    expect(nested?.hint).toBe('write a string there');
  });

  it('tells every entry that does not fit, not only the first (QA: env: {PORT: 8080, DEBUG: true})', async () => {
    const problems = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: {PORT: 8080, NAME: ok, DEBUG: true}'], resolver);
    expect(problems.map((problem) => [problem.location?.column, problem.message])).toEqual([
      [17, "param 'env' at PORT: expected string, got 8080"],
      [40, "param 'env' at DEBUG: expected string, got true"],
    ]);
    const list = await problemsOf(['resources:', '  svcenv:', '  - name: web', '    env: [A=1, 2, B=3, false]'], resolver);
    // A list's entries are counted from 1, as the kinds' own messages count them (QA: 'at 1' was the second entry).
    expect(list.map((problem) => problem.message)).toEqual(["param 'env' entry 2: expected string, got 2", "param 'env' entry 4: expected string, got false"]);
    // A mapping's key that is a number is its name, not a place.
    const numberKey = await problemsOf(['resources:', '  svcenv:', '  - name: web', "    env: {'0': 5}"], resolver);
    expect(numberKey.map((problem) => problem.message)).toEqual(["param 'env' at 0: expected string, got 5"]);
  });

  it('says to write a number without quotes, for a whole number as for any number', async () => {
    const counted = defineResource({
      kind: 'counted',
      params: Type.Object({ count: Type.Optional(Type.Integer({ minimum: 1 })), ratio: Type.Optional(Type.Number()) }),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const problems = await problemsOf(['resources:', '  counted:', '  - name: c', '    count: "16"', '    ratio: "0.5"'], mapResolver([counted]));
    expect(problems.map((problem) => problem.hint)).toEqual(['write the number without quotes: 16', 'write the number without quotes: 0.5']);
  });
});

describe("resolveGraph: YAML 1.1 booleans inside a param, as mgmt's reader takes them at any depth", () => {
  const sharesKind = defineResource({
    kind: 'shares',
    params: Type.Object({
      filesystem: Type.Optional(Type.Array(Type.Object({ target: Type.String(), read_only: Type.Boolean({ default: false }) }, { additionalProperties: false }))),
      options: Type.Optional(Type.Object({ label: Type.Optional(Type.String()), inner: Type.Optional(Type.Object({ quiet: Type.Boolean() })) })),
      flags: Type.Optional(Type.Union([Type.Array(Type.Boolean()), Type.Record(Type.String(), Type.Boolean())])),
    }),
    create: () => ({ checkApply: () => true }),
  }) as unknown as AnyResourceDefinition;
  const resolver = mapResolver([sharesKind]);

  it('reads them where the schema takes a boolean (a list entry\'s key, a nested mapping, a record, a list), each told at its own line (QA: read_only: yes was refused)', async () => {
    const graph = await resolveYaml(
      [
        'resources:',
        '  shares:',
        '  - name: a',
        '    filesystem:',
        '    - {target: yes, read_only: yes}',
        '    - target: share',
        '      read_only: OFF',
        '    options: {label: on, inner: {quiet: Y}}',
        '    flags: {debug: n}',
        '  - name: b',
        '    flags: [no, true]',
      ],
      resolver,
    );
    expect(graph.resources.get('shares[a]')?.params).toEqual({
      // A text key keeps the word: only where a boolean is taken is it one.
      filesystem: [{ target: 'yes', read_only: true }, { target: 'share', read_only: false }],
      options: { label: 'on', inner: { quiet: true } },
      flags: { debug: false },
    });
    expect(graph.resources.get('shares[b]')?.params).toEqual({ flags: [false, true] });
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.location.column, warning.message, warning.hint])).toEqual([
      [5, 32, "param 'filesystem' entry 1's read_only: read 'read_only: yes' as true (a YAML 1.1 boolean, as mgmt reads it)", 'write read_only: true'],
      [7, 18, "param 'filesystem' entry 2's read_only: read 'read_only: OFF' as false (a YAML 1.1 boolean, as mgmt reads it)", 'write read_only: false'],
      [8, 41, "param 'options' at inner.quiet: read 'quiet: Y' as true (a YAML 1.1 boolean, as mgmt reads it)", 'write quiet: true'],
      [9, 20, "param 'flags' at debug: read 'debug: n' as false (a YAML 1.1 boolean, as mgmt reads it)", 'write debug: false'],
      [11, 13, "param 'flags' entry 1: read 'no' as false (a YAML 1.1 boolean, as mgmt reads it)", 'write false there'],
    ]);
  });

  it('refuses a quoted word where a boolean is taken, as for a param of its own: quoted, it is text to mgmt too', async () => {
    const problems = await problemsOf(['resources:', '  shares:', '  - name: a', "    filesystem: [{target: share, read_only: 'yes'}]", '    flags: ["on"]'], resolver);
    expect(problems.map((problem) => [problem.location?.line, problem.message])).toEqual([
      [4, `param 'filesystem' entry 1's read_only: expected true or false, got "yes"`],
      [5, `param 'flags' entry 1: expected true or false, got "on"`],
    ]);
  });

  it('refuses a word in a case mgmt\'s reader does not take as a boolean (yEs, oN), as a quoted one is (QA)', async () => {
    const problems = await problemsOf(['resources:', '  shares:', '  - name: a', '    filesystem: [{target: share, read_only: yEs}]', '    flags: {debug: oN}'], resolver);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, `param 'filesystem' entry 1's read_only: expected true or false, got "yEs"`, 'write true or false there'],
      [5, `param 'flags' at debug: expected true or false, got "oN"`, 'write true or false there'],
    ]);
  });
});

describe('resolveGraph: a plugin validate issue without a hint', () => {
  it('gets one that points at the kind and its param', async () => {
    const strict = defineResource({
      kind: 'strict',
      params: Type.Object({ level: Type.Optional(Type.String()) }),
      validate: (params) => (params.level === 'max' ? [{ param: 'level', message: 'max is not allowed' }] : []),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const [problem] = await problemsOf(['resources:', '  strict:', '  - name: s', '    level: max'], mapResolver([strict]));
    expect(problem?.message).toBe("param 'level': max is not allowed");
    expect(problem?.hint).toBe("see what kind 'strict' accepts for 'level' in its plugin's README");
  });
});

describe('resolveGraph: params', () => {
  it('fills the name param and schema defaults, and keeps the spec untouched', async () => {
    const yaml = ['resources:', '  file:', '  - name: /tmp/a', '    owner: {user: root}', '  exec:', '  - name: date'];
    const spec = parseGraphYaml([...yaml, 'graph: g'].join('\n'), 'g.yaml');
    const graph = await resolveGraph(spec, mapResolver());
    expect(graph.resources.get('file[/tmp/a]')).toEqual({
      id: 'file[/tmp/a]',
      kind: 'file',
      name: '/tmp/a',
      params: { path: '/tmp/a', state: 'exists', owner: { user: 'root' } },
      meta: DEFAULT_META,
      location: { file: 'g.yaml', line: 3, column: 5 },
    });
    expect(graph.resources.get('exec[date]')?.params).toEqual({ cmd: 'date', timeout: 0 });
    expect(spec.resources[0]?.params).toEqual({ owner: { user: 'root' } });
    expect([...graph.kinds.keys()].sort()).toEqual(['exec', 'file']);
  });

  it('an explicit name param wins over the name', async () => {
    const graph = await resolveYaml(['resources:', '  file:', '  - name: motd', '    path: /etc/motd']);
    expect(graph.resources.get('file[motd]')?.params.path).toBe('/etc/motd');
  });

  it('does not coerce: a number is not a string, a string is not a number', async () => {
    const problems = await problemsOf(['resources:', '  file:', '  - name: /a', '    mode: 644', '  exec:', '  - name: x', '    attempts: "3"']);
    expect(problems.map((problem) => [problem.code, problem.resource, problem.location?.line, problem.message])).toEqual([
      ['ERR_PARAM_TYPE', 'file[/a]', 4, "param 'mode': expected string (matching ^[0-7]{3,4}$), got 644"],
      ['ERR_PARAM_TYPE', 'exec[x]', 7, 'param \'attempts\': expected number, got "3"'],
    ]);
  });

  it('says why a number written with a leading zero does not fit a number param', async () => {
    const problems = await problemsOf(['resources:', '  exec:', '  - name: x', '    attempts: 010']);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, 'param \'attempts\': expected number, got "010"', 'a number written with a leading zero is read as text (as modes are): write 10'],
    ]);
  });

  it('says what to write instead of what graphs for mgmt often carry', async () => {
    const problems = await problemsOf([
      'resources:',
      '  exec:',
      '  - name: a',
      '    pollint: often',
      '    state: running',
      '    retry: 3',
      '  file:',
      '  - name: /b',
      '    content: 42',
      '    meta: {noop: false}',
      '  noop:',
      '  - name: plain',
      '    meta: {reverse: true}',
    ]);
    const hints = Object.fromEntries(problems.map((problem) => [`${problem.resource} ${problem.location?.line}`, problem.hint]));
    expect(hints).toEqual({
      'exec[a] 4': expect.stringContaining('meta: {poll: SECONDS}'),
      'exec[a] 5': expect.stringMatching(/^kind 'exec' has no state: remove it/),
      'exec[a] 6': 'retry is a metaparam: write it under meta, as meta: {retry: ...}',
      'file[/b] 9': 'quote it, as written, to make it a string (YAML read it as the number 42)',
      'noop[plain] 13': 'remove reverse: true (kinds that take it, like file, say so in their README)',
    });
  });

  it("reads mgmt's old '@@name' of an exported resource as the name with meta: {hidden: true, export: ['*']}, with a warning", async () => {
    const graph = await resolveYaml([
      'resources:',
      '  noop:',
      '  - name: "@@shared"',
      '  - name: "@@some"',
      '    meta: {export: [host2]}',
    ]);
    expect([...graph.resources.keys()]).toEqual(['noop[shared]', 'noop[some]']);
    expect(graph.resources.get('noop[shared]')?.meta).toMatchObject({ export: ['*'], hidden: true });
    expect(graph.resources.get('noop[some]')?.meta).toMatchObject({ export: ['host2'], hidden: true });
    const tail = "(mgmt's old mark of an exported resource: applied where a collect: takes it, this host's own included)";
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message, warning.hint])).toEqual([
      [3, `read the name '@@shared' as 'shared' with meta: {hidden: true, export: ['*']} ${tail}`, "name it 'shared' and add meta: {hidden: true, export: ['*']} (see \"Several hosts\" in the README)"],
      [4, `read the name '@@some' as 'some' hidden, exported as its meta: {export} says ${tail}`, "name it 'some' and add meta: {hidden: true, export: ['*']} (see \"Several hosts\" in the README)"],
    ]);
  });

  it("reads a declared param given null (or left empty) as not set, as mgmt does, with a warning; an unknown one is still refused", async () => {
    const graph = await resolveYaml(['resources:', '  pkg:', '  - name: vim', '    state: installed', '    allowUntrusted: null']);
    expect(graph.resources.get('pkg[vim]')?.params).toEqual({ state: 'installed' });
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([[5, "read 'allowUntrusted: null' as allowUntrusted not set"]]);
    const [problem] = await problemsOf(['resources:', '  pkg:', '  - name: vim', '    state: installed', '    allowUntrustd:']);
    expect(problem).toMatchObject({ code: 'ERR_UNKNOWN_PARAM', location: { line: 5 } });
  });

  it("reads mgmt's meta forms: poll -1 (check once), a null metaparam as unset, dollar and async ignored, each with a warning", async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: a', '    meta: {poll: -1}', '  - name: b', '    meta: {poll: , dollar: true, async: false, retry: 2}']);
    expect(graph.resources.get('noop[a]')?.meta.poll).toBe(-1);
    expect(graph.resources.get('noop[b]')?.meta).toMatchObject({ poll: 0, retry: 2 });
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [6, "read 'meta: {poll: null}' as poll not set"],
      [6, "ignored mgmt's metaparam 'dollar': names starting with $ are always accepted here"],
      [6, "ignored mgmt's metaparam 'async': a graph swap never waits for the running checks of resources it keeps"],
    ]);
    const [problem] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta: {poll: -2}']);
    expect(problem?.message).toContain("metaparam 'poll' must be -1 (check once) or a number from 0 to");
    // An unknown one left empty is still refused (a typo must not pass as unset), as an unknown param is.
    const [typo] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta:', '      retyr:']);
    expect(typo).toMatchObject({ code: 'ERR_META_INVALID', message: "unknown metaparam 'retyr'", location: { line: 5 } });
    expect(typo?.hint).toContain("did you mean 'retry'?");
    // Names for a metaparam that no spelling is near (QA: retrydelay was told "did you mean 'retry'?").
    const [delay] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta: {retry: 3, retry_delay: 5}']);
    expect(delay).toMatchObject({ message: "unknown metaparam 'retry_delay'", hint: "did you mean 'delay'? (the seconds between retries)" });
    const [poll] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta: {interval: 5}']);
    expect(poll?.hint).toBe("did you mean 'poll'? (check every N seconds instead of watching)");
    const [constructor] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta: {constructor: 5}']);
    expect(constructor?.hint).not.toContain('undefined');
  });

  it('reads YAML 1.1 booleans (yes, off, y…) where a boolean param or metaparam is declared, as mgmt does, with a warning', async () => {
    const graph = await resolveYaml(['resources:', '  pkg:', '  - name: vim', '    allowUntrusted: yes', '    meta: {autoedge: n, retry: 2, hidden: On}', '    state: installed', '  exec:', '  - name: e', '    cmd: "on"']);
    expect(graph.resources.get('pkg[vim]')?.params).toMatchObject({ allowUntrusted: true });
    expect(graph.resources.get('pkg[vim]')?.meta).toMatchObject({ autoedge: false, retry: 2, hidden: true });
    // Only where a boolean is declared: a command named "on" stays a string.
    expect(graph.resources.get('exec[e]')?.params).toMatchObject({ cmd: 'on' });
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message, warning.hint])).toEqual([
      [4, "read 'allowUntrusted: yes' as true (a YAML 1.1 boolean, as mgmt reads it)", 'write allowUntrusted: true'],
      [5, "read 'meta: {autoedge: n}' as false (a YAML 1.1 boolean, as mgmt reads it)", 'write autoedge: false'],
      [5, "read 'meta: {hidden: On}' as true (a YAML 1.1 boolean, as mgmt reads it)", 'write hidden: true'],
    ]);
  });

  it('refuses a quoted "yes" where a boolean param or metaparam is declared, as a quoted "true" is: quoted, it is text to mgmt too (QA)', async () => {
    const problems = await problemsOf(['resources:', '  pkg:', '  - name: vim', '    allowUntrusted: "yes"', "    meta: {autoedge: 'n', hidden: \"true\", reverse: 'Yes'}", '    state: installed']);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, `param 'allowUntrusted': expected true or false, got "yes"`, expect.stringContaining('true or false')],
      [5, `metaparam 'autoedge' must be true or false, not "n"`, 'write autoedge: false, without quotes'],
      [5, `metaparam 'hidden' must be true or false, not "true"`, 'write hidden: true, without quotes'],
      // Not the metaparam's example, which may be the opposite (QA: "yes" was told to write false).
      [5, `metaparam 'reverse' must be true or false, not "Yes"`, 'write reverse: true, without quotes'],
    ]);
    // Any other value of a boolean metaparam: neither of the two is suggested (QA: "0" was told to write true).
    const [zero] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta: {reverse: "0"}']);
    expect(zero?.hint).toBe('write reverse: true or false');
  });

  it("refuses a word in a case mgmt's reader (yaml.v2) does not take as a boolean (yEs, oN, tRUE), as \"true\" is (QA: yEs was read as true)", async () => {
    const problems = await problemsOf(['resources:', '  pkg:', '  - name: vim', '    allowUntrusted: yEs', '    meta: {autoedge: oN, hidden: tRUE}', '    state: installed']);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, `param 'allowUntrusted': expected true or false, got "yEs"`, 'write true or false there'],
      [5, `metaparam 'autoedge' must be true or false, not "oN"`, 'write autoedge: true or false'],
      // Plain, as it is written: not told to remove quotes it does not have.
      [5, `metaparam 'hidden' must be true or false, not "tRUE"`, 'write hidden: true or false'],
    ]);
    const [quoted] = await problemsOf(['resources:', '  pkg:', '  - name: vim', '    allowUntrusted: "yes"', '    state: installed']);
    expect(quoted?.message).toBe(`param 'allowUntrusted': expected true or false, got "yes"`);
  });

  it("reads mgmt's old pollint and exec state: present for what they meant, with a warning at their line", async () => {
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: a',
      '    pollint: 0',
      '    state: present',
      '  - name: b',
      '    pollint: 30',
      '  - name: c',
      '    pollint: 30',
      '    meta: {poll: 5}',
    ]).catch((error: unknown) => error);
    // c has both: which one is meant cannot be told, so pollint stays an unknown param.
    expect(graph).toBeInstanceOf(GraphLoadError);
    expect((graph as GraphLoadError).problems.map((problem) => [problem.resource, problem.location?.line, problem.code])).toEqual([
      ['exec[c]', 9, 'ERR_UNKNOWN_PARAM'],
    ]);

    const loaded = await resolveYaml(['resources:', '  exec:', '  - name: a', '    pollint: 0', '    state: present', '  - name: b', '    pollint: 30']);
    expect(loaded.resources.get('exec[a]')?.params).not.toHaveProperty('pollint');
    expect(loaded.resources.get('exec[a]')?.params).not.toHaveProperty('state');
    expect(loaded.resources.get('exec[a]')?.meta.poll).toBe(0);
    expect(loaded.resources.get('exec[b]')?.meta.poll).toBe(30);
    expect(loaded.warnings?.map((warning) => [warning.resource, warning.location.line, warning.message, warning.hint])).toEqual([
      ['exec[a]', 4, "ignored 'pollint: 0' (mgmt's old param; 0 meant watch, which is what happens)", 'remove it'],
      ['exec[a]', 5, "ignored 'state: present' (mgmt's old exec param; an exec has no state)", 'remove it'],
      ['exec[b]', 7, "read 'pollint: 30' as meta: {poll: 30} (mgmt's old param)", 'write meta: {poll: 30} instead'],
    ]);
    // A graph with nothing old in it has no warnings at all.
    expect((await resolveYaml(['resources:', '  exec:', '  - name: a'])).warnings).toBeUndefined();
  });

  it("ignores mgmt's exec send_output/send_stdout/send_stderr switches with a warning (converge's exec always sends), and hints at what to write for mgmt params it does not have", async () => {
    const loaded = await resolveYaml(['resources:', '  exec:', '  - name: a', '    send_output: true', '    send_stderr: yes', '    send_stdout:']);
    expect(loaded.resources.get('exec[a]')?.params).not.toHaveProperty('send_output');
    expect(loaded.warnings?.map((warning) => [warning.location.line, warning.message]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [4, "ignored 'send_output' (mgmt's switch; converge's exec always sends output, stdout, stderr and exitcode)"],
      [5, "ignored 'send_stderr' (mgmt's switch; converge's exec always sends output, stdout, stderr and exitcode)"],
      [6, "ignored 'send_stdout' (mgmt's switch; converge's exec always sends output, stdout, stderr and exitcode)"],
    ]);
    const emptyCmd = await resolveYaml(['resources:', '  exec:', '  - name: /bin/true', '    cmd: ""']);
    expect(emptyCmd.resources.get('exec[/bin/true]')?.params).toMatchObject({ cmd: '/bin/true' });
    expect(emptyCmd.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([[4, `read 'cmd: ""' as cmd not set: the name is run, as mgmt does`]]);
    const [problem] = await problemsOf(['resources:', '  exec:', '  - name: a', '    mtimes: [/tmp/a]']);
    expect(problem?.hint).toBe("mgmt's mtimes is not in converge: list the files in watchfiles (a change runs cmd again), or guard cmd with ifcmd");
  });

  it("hints at what converge does for mgmt's cancel_signal (also written cancelsignal) and password's write, alphabet and newline (QA: only the list of params)", async () => {
    const cancel = await problemsOf(['resources:', '  exec:', '  - name: a', '    cancelsignal: SIGINT', '  - name: b', '    cancel_signal: SIGINT']);
    const signals =
      "mgmt's cancel_signal is not in converge: on a timeout or an abort, converge sends SIGTERM to the command's whole process group, then SIGKILL to what is left 2 s later (an interrupt: SIGKILL at once); a command that must be stopped with another signal needs a wrapper that turns SIGTERM into it";
    expect(cancel.map((problem) => [problem.location?.line, problem.hint])).toEqual([
      [4, signals],
      [6, signals],
    ]);
    const password = await problemsOf(['resources:', '  password:', '  - name: p', '    write: true', '    alphabet: abc', '    newline: true'], mapResolver([passwordResource as unknown as AnyResourceDefinition]));
    expect(password.map((problem) => [problem.location?.line, problem.hint])).toEqual([
      [4, "mgmt's write is saved here: write saved: true (kept across restarts in the resource's var dir, mode 0600)"],
      [5, "mgmt's alphabet is not in converge: every character is drawn from A-Z, a-z and 0-9; for a stronger password raise length"],
      [6, "mgmt's newline is not in converge: the password is sent without one, so a file that receives it as content holds the password alone"],
    ]);
  });

  it("builds a file's path from mgmt's dirname and basename, with a warning; refuses them when not as mgmt requires (QA: refused where mgmt runs them)", async () => {
    const loaded = await resolveYaml([
      'resources:',
      '  file:',
      '  - name: /etc/app/main.conf',
      '    dirname: /srv/app/',
      '  - name: conf',
      '    path: /etc/app/old.conf',
      '    basename: new.conf',
      '  - name: both',
      '    dirname: /srv/',
      '    basename: data/',
    ]);
    expect([...loaded.resources.values()].map((resource) => resource.params['path'])).toEqual(['/srv/app/main.conf', '/etc/app/new.conf', '/srv/data/']);
    expect([...loaded.resources.values()].some((resource) => 'dirname' in resource.params || 'basename' in resource.params)).toBe(false);
    expect(loaded.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      // Only the parts given are named (QA: basename alone was told as "dirname and basename").
      [4, 'read dirname as the folder of path: "/srv/app/main.conf", as mgmt builds it'],
      [7, 'read basename as the last part of path: "/etc/app/new.conf", as mgmt builds it'],
      [9, 'read dirname and basename as path: "/srv/data/", as mgmt builds it'],
    ]);
    const problems = await problemsOf(['resources:', '  file:', '  - name: /etc/a', '    dirname: /srv', '    basename: ok.conf']);
    // Only the part written wrong is told (QA: both were).
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [4, "unknown param 'dirname' for kind 'file'", 'a dirname ends with / and a basename does not start with /, as in mgmt, which builds the path from them; or write the whole path in path'],
    ]);
    // Empty or null is unset, as mgmt reads it (QA: refused).
    const unset = await resolveYaml(['resources:', '  file:', '  - name: /etc/app/a.conf', '    dirname: /srv/', '    basename: null', '  - name: /etc/b.conf', '    dirname: ""', '    basename: ""']);
    expect([...unset.resources.values()].map((resource) => resource.params['path'])).toEqual(['/srv/a.conf', '/etc/b.conf']);
    // One given beside the other left unset: only the given one is named, at its line.
    expect(unset.warnings?.filter((warning) => warning.location.line < 7).map((warning) => [warning.location.line, warning.message])).toEqual([
      [4, 'read dirname as the folder of path: "/srv/a.conf", as mgmt builds it'],
    ]);
    const basenameAfterEmpty = await resolveYaml(['resources:', '  file:', '  - name: /etc/c.conf', '    dirname: ""', '    basename: d.conf']);
    expect(basenameAfterEmpty.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [5, 'read basename as the last part of path: "/etc/d.conf", as mgmt builds it'],
    ]);
    // Both unset: not "read as path" (QA), only that they are read as not set.
    expect(unset.warnings?.filter((warning) => warning.location.line >= 7).map((warning) => warning.message)).toEqual([
      "read 'dirname' (empty) as not set, as mgmt does",
      "read 'basename' (empty) as not set, as mgmt does",
    ]);
  });

  it("reads a file's empty path, owner, group, mode, source and fragments as not set, as mgmt leaves them alone (QA: fragments: [] emptied the file; '' was refused)", async () => {
    const loaded = await resolveYaml([
      'resources:',
      '  file:',
      '  - name: /etc/app.conf',
      '    path: ""',
      '    state: exists',
      '    content: "x"',
      '    owner: ""',
      '    group: ""',
      '    mode: ""',
      '    source: ""',
      '    fragments: []',
      '  - name: /etc/joined.conf',
      '    fragments: [/etc/a.part]',
    ]);
    expect(loaded.resources.get('file[/etc/app.conf]')?.params).toEqual({ path: '/etc/app.conf', state: 'exists', content: 'x' });
    expect(loaded.resources.get('file[/etc/joined.conf]')?.params).toMatchObject({ fragments: ['/etc/a.part'] });
    expect(loaded.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [4, `read 'path: ""' as path not set, as mgmt does`],
      [7, `read 'owner: ""' as owner not set, as mgmt does`],
      [8, `read 'group: ""' as group not set, as mgmt does`],
      [9, `read 'mode: ""' as mode not set, as mgmt does`],
      [10, `read 'source: ""' as source not set, as mgmt does`],
      [11, "read 'fragments: []' as fragments not set, as mgmt does"],
    ]);
  });

  it('warns about an edge name used twice, at the second use, and loads both edges', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: a',
      '  - name: b',
      '  - name: c',
      'edges:',
      '  - {name: e1, from: {kind: exec, name: a}, to: {kind: exec, name: b}}',
      '  - {name: e1, from: {kind: exec, name: b}, to: {kind: exec, name: c}}',
      '  - {name: e2, from: {kind: exec, name: a}, to: {kind: exec, name: c}}',
    ]);
    expect(graph.edges.map((edge) => `${edge.from}>${edge.to}`)).toEqual(['exec[a]>exec[b]', 'exec[b]>exec[c]', 'exec[a]>exec[c]']);
    expect(graph.warnings?.map((warning) => [warning.resource, warning.location.line, warning.message])).toEqual([
      ["edge 'e1'", 8, 'this name is already used by the edge at g.yaml:7'],
    ]);
  });

  it('says which key is missing inside a param, at that param', async () => {
    const nested = defineResource({
      kind: 'netted',
      params: Type.Object({ network: Type.Optional(Type.Array(Type.Object({ name: Type.String(), mac: Type.Optional(Type.String()) }))) }),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const problems = await problemsOf(
      ['resources:', '  netted:', '  - name: vm', '    network:', '    - {mac: "52:54:00:00:00:01"}'],
      mapResolver([...testKinds, nested]),
    );
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.message, problem.hint])).toEqual([
      ['ERR_PARAM_TYPE', 5, "param 'network' entry 1: missing 'name' (string)", 'add `name: ...` there'],
    ]);
  });

  it('refuses a key inside a param its schema does not have, at the key, with the key meant (QA: dropped, its default used)', async () => {
    const Mount = Type.Object(
      { path: Type.String(), opts: Type.Optional(Type.Object({ ro: Type.Boolean({ default: false }) }, { additionalProperties: false })) },
      { additionalProperties: false },
    );
    const mounted = defineResource({
      kind: 'mounted',
      params: Type.Object({ mounts: Type.Optional(Type.Array(Mount)) }),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const problems = await problemsOf(
      [
        'resources:',
        '  mounted:',
        '  - name: m',
        '    mounts:',
        '    - {path: /a, opts: {rO: true}}',
        '    - pth: /b',
        '    - path: /c',
        '      zzz:',
        '        - 1',
      ],
      mapResolver([...testKinds, mounted]),
    );
    expect(problems.map((problem) => [problem.code, `${problem.location?.line}:${problem.location?.column}`, problem.message, problem.hint])).toEqual([
      ['ERR_UNKNOWN_PARAM', '5:25', "param 'mounts' entry 1's opts: unknown key 'rO'", "did you mean 'ro'? (valid keys: ro)"],
      // Its missing 'path' is not told as well: 'pth' is surely it.
      ['ERR_UNKNOWN_PARAM', '6:7', "param 'mounts' entry 2: unknown key 'pth'", "did you mean 'path'? (valid keys: opts, path)"],
      ['ERR_UNKNOWN_PARAM', '8:7', "param 'mounts' entry 3: unknown key 'zzz'", 'valid keys: opts, path'],
    ]);
  });

  it("tells a kind's validate issues at the entry they name, at most five a param", async () => {
    const listy = defineResource({
      kind: 'listy',
      params: Type.Object({ paths: Type.Array(Type.String()) }),
      validate: (params: { paths: string[] }) =>
        params.paths.flatMap((path, index) => (path.startsWith('/') ? [] : [{ param: 'paths', at: [index], message: `"${path}" is not absolute` }])),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const entries = ['/ok', ...Array.from({ length: 7 }, (_, index) => `r${index}`)].map((path) => `    - ${path}`);
    const problems = await problemsOf(['resources:', '  listy:', '  - name: l', '    paths:', ...entries], mapResolver([...testKinds, listy]));
    expect(problems.map((problem) => [problem.location?.line, problem.message])).toEqual([
      ...[0, 1, 2, 3, 4].map((index) => [index + 6, `param 'paths': "r${index}" is not absolute`]),
      [10, "param 'paths': 2 more problems"],
    ]);
  });

  it('names unknown params with a suggestion and the valid ones', async () => {
    const [problem] = await problemsOf(['resources:', '  file:', '  - name: /a', '    contnet: x']);
    expect(problem).toMatchObject({ code: 'ERR_UNKNOWN_PARAM', resource: 'file[/a]', location: { line: 4, column: 5 } });
    expect(problem?.hint).toBe("did you mean 'content'? (valid params: content, fragments, group, mode, owner, path, source, state)");
  });

  it('tells an unknown param or metaparam at its key when its value starts on a later line', async () => {
    const problems = await problemsOf(['resources:', '  file:', '  - name: /a', '    contnet: |', '      hello', '    meta:', '      retyr:', '        3']);
    expect(problems.map((problem) => [problem.code, problem.location])).toEqual([
      ['ERR_UNKNOWN_PARAM', expect.objectContaining({ line: 4, column: 5 })],
      ['ERR_META_INVALID', expect.objectContaining({ line: 7, column: 7 })],
    ]);
  });

  it('reports validate issues with the hint, and a throwing validate as an issue', async () => {
    const problems = await problemsOf(['resources:', '  file:', '  - name: rel', '  crashy:', '  - name: c']);
    expect(problems.map((problem) => [problem.code, problem.message, problem.hint])).toEqual([
      ['ERR_PARAM_INVALID', "param 'path': must be an absolute path", 'start it with /'],
      ['ERR_PARAM_INVALID', "the validate of kind 'crashy' failed: validate blew up", "a bug in the plugin that provides 'crashy': tell its authors"],
    ]);
    expect((problems[1]?.cause as Error).message).toBe('validate blew up');
  });

  it('reports a throwing identity, uids or autoEdges of a kind as a problem of the graph at the resource, naming the plugin', async () => {
    const throwing = (what: 'identity' | 'uids' | 'autoEdges') =>
      defineResource({
        kind: `bad${what.toLowerCase()}`,
        params: Type.Object({}),
        ...(what === 'identity' ? { identity: () => { throw new Error('identity exploded'); } } : {}),
        ...(what === 'identity'
          ? {}
          : {
              edgeable: {
                uids: () => {
                  if (what === 'uids') throw new Error('uids exploded');
                  return [];
                },
                *autoEdges() {
                  if (what === 'autoEdges') throw new Error('autoEdges exploded');
                },
              },
            }),
        create: () => ({ checkApply: () => true }),
      }) as unknown as AnyResourceDefinition;
    for (const what of ['identity', 'uids', 'autoEdges'] as const) {
      const kind = throwing(what);
      const problems = await problemsOf(['resources:', `  ${kind.kind}:`, '  - name: x'], mapResolver([...testKinds, kind]));
      expect(problems.map((problem) => [problem.code, problem.location?.line, problem.message, problem.isInputError])).toEqual([
        ['ERR_PLUGIN_INVALID', 3, `the ${what} of kind '${kind.kind}' failed: ${what} exploded`, true],
      ]);
    }
  });

  it("runs validate on the params that fit when others are of the wrong type, so that all are told at once (QA: one bad type hid the rest)", async () => {
    const problems = await problemsOf(['resources:', '  file:', '  - name: rel', '    content: 1']);
    // In file order: the path is the name's, on the line before.
    expect(problems.map((problem) => [problem.code, problem.message])).toEqual([
      ['ERR_PARAM_INVALID', "param 'path': must be an absolute path"],
      ['ERR_PARAM_TYPE', "param 'content': expected string, got 1"],
    ]);
    // Nor on a set that misses a required param: a kind's validate may count on it.
    const required = await problemsOf(['resources:', '  file:', '  - name: rel', '    path: 7']);
    expect(required.map((problem) => problem.code)).toEqual(['ERR_PARAM_TYPE']);
  });
});

describe('resolveGraph: kinds', () => {
  it('resolves each distinct kind once, all at the same time', async () => {
    let inFlight = 0;
    let most = 0;
    const inner = mapResolver();
    const resolver = {
      ...inner,
      async resolve(kind: string) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
        return inner.resolve(kind);
      },
    };
    await resolveYaml(['resources:', '  noop:', '  - name: a', '  - name: b', '  exec:', '  - name: c', '  file:', '  - name: /d'], resolver);
    expect(inner.calls.sort()).toEqual(['exec', 'file', 'noop']);
    expect(most).toBe(3);
  });

  it("puts resolver errors at the kind's key (QA: a misspelt kind was told at its first entry's first key), keeping code, hint and cause", async () => {
    const problems = await problemsOf(['resources:', '  docker:container:', '  - name: a', '  - name: b', '  flie:', '  - name: x']);
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.location?.column, problem.hint])).toEqual([
      ['ERR_PLUGIN_NOT_INSTALLED', 2, 3, 'npm install @converge/res-docker'],
      ['ERR_UNKNOWN_KIND', 5, 3, 'known kinds: noop, file, exec, pkg, crashy'],
    ]);
    expect((problems[0]?.cause as Error).message).toBe('module not found');
  });

  it('turns a resolver that throws something else into ERR_PLUGIN_LOAD_FAILED', async () => {
    const resolver = { resolve: () => { throw new TypeError('boom'); }, knownKinds: async () => [] };
    const [problem] = await problemsOf(['resources:', '  noop:', '  - name: a'], resolver);
    expect(problem).toMatchObject({ code: 'ERR_PLUGIN_LOAD_FAILED', location: { line: 2 } });
  });
});

describe('resolveGraph: metaparams', () => {
  it('warns of retry: -1 without a delay, at the retry, and not with one (QA: a failing command ran 350 times in 3 s)', async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: a', '    meta: {retry: -1}', '  - name: b', '    meta: {retry: -1, delay: 500}', '  - name: c', '    meta: {retry: 3}']);
    expect(graph.warnings?.map((warning) => [warning.resource, warning.location.line, warning.location.column, warning.hint])).toEqual([
      ['noop[a]', 4, 19, 'add a pause between tries, in milliseconds: meta: {retry: -1, delay: 1000}'],
    ]);
  });

  it('warns of a poll under a tenth of a second, at the poll (QA: poll: 0.001 was accepted and checked 1,000 times a second)', async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: a', '    meta: {poll: 0.001}', '  - name: b', '    meta: {poll: 0.5}', '  - name: c', '    meta: {poll: -1}']);
    expect(graph.warnings?.map((warning) => [warning.resource, warning.location.line, warning.message])).toEqual([
      ['noop[a]', 4, 'poll: 0.001 checks the resource every 1 ms (poll is in seconds)'],
    ]);
  });

  it('merges metaparams over the defaults', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  noop:',
      '  - name: a',
      '    meta:',
      '      {noop: true, retry: -1, delay: 250, timeout: 0, poll: 1.5, limit: .inf, burst: 2, sema: [a, "b:3", "c:d:2"], export: ["*"], autoedge: false}',
    ]);
    expect(graph.resources.get('noop[a]')?.meta).toEqual({
      ...DEFAULT_META,
      noop: true,
      retry: -1,
      delay: 250,
      poll: 1.5,
      burst: 2,
      sema: ['a', 'b:3', 'c:d:2'],
      export: ['*'],
      autoedge: false,
    });
  });

  it.each([
    ['retry: 1.5', 'whole number >= -1'],
    ['delay: -1', 'a number from 0 to 2147483647 (about 24.8 days) in milliseconds'],
    ['timeout: .inf', 'a number from 0 to 2147483647 (about 24.8 days) in milliseconds, not .inf'],
    ['poll: "5"', '-1 (check once) or a number from 0 to 2147483 (about 24.8 days) in seconds'],
    // Longer than a timer can wait: it would fire at once, and poll in a tight loop.
    ['poll: 2592000', '-1 (check once) or a number from 0 to 2147483 (about 24.8 days) in seconds'],
    ['delay: 3000000000', 'in milliseconds'],
    ['limit: -1', 'or .inf for no limit'],
    ['limit: 0', 'one per 24.8 days'],
    ['limit: 0.0000001', 'one per 24.8 days'],
    ['burst: -1', 'whole number >= 0'],
    ['sema: "a"', "each 'id' or 'id:N'"],
    ['sema: [":2"]', 'no id before the colon'],
    ['sema: ["a:x"]', 'whole number >= 1'],
    ['export: [1]', 'a list of host names'],
    ['noop: "maybe"', 'true or false'],
    ['Retry: 1', "did you mean 'retry'?"],
    // Quoted as written, not as a double holds them (QA: ...992, .inf).
    ['timeout: 9007199254740993', 'not 9007199254740993'],
    ['delay: 1e400', 'not 1e400'],
    // A whole number to JavaScript, and no count anyone means (QA).
    ['retry: 1e100', '<= 9007199254740991, not 1e100'],
    ['burst: 1e30', '<= 9007199254740991'],
  ])('refuses %s', async (entry, words) => {
    const [problem] = await problemsOf(['resources:', '  noop:', '  - name: a', '    meta:', `      ${entry}`]);
    expect(problem).toMatchObject({ code: 'ERR_META_INVALID', resource: 'noop[a]', location: { line: 5 } });
    expect(`${problem?.message} ${problem?.hint ?? ''}`).toContain(words);
  });
});

describe('resolveGraph: duplicates', () => {
  it('refuses a resource declared twice differently, naming both places and what differs (never a value)', async () => {
    const [problem] = await problemsOf(['resources:', '  noop:', '  - name: a', '  - name: a', '    meta: {retry: 2}', '  file:', '  - {name: /f, state: exists, content: s3cret}', '  - {name: /f, state: exists, content: other, mode: "0600"}']);
    expect(problem).toMatchObject({ code: 'ERR_DUPLICATE_RESOURCE', resource: 'noop[a]', location: { line: 4 } });
    expect(problem?.message).toBe('declared twice (at g.yaml:3 and g.yaml:4), differing in meta.retry');
    const [, file] = await problemsOf(['resources:', '  noop:', '  - name: a', '  - name: a', '    meta: {retry: 2}', '  file:', '  - {name: /f, state: exists, content: s3cret}', '  - {name: /f, state: exists, content: other, mode: "0600"}']);
    expect(file?.message).toBe('declared twice (at g.yaml:7 and g.yaml:8), differing in content, mode');
  });

  it('reads a resource declared twice the same way as one, as mgmt does, with a warning at the second', async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: a', '  - name: a', '  file:', '  - {name: /f, state: exists, content: hi}', '  - {content: hi, name: /f, state: exists}']);
    expect([...graph.resources.keys()]).toEqual(['noop[a]', 'file[/f]']);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [4, 'declared twice, the same both times (at g.yaml:3 and here): read as one, as mgmt does'],
      [7, 'declared twice, the same both times (at g.yaml:6 and here): read as one, as mgmt does'],
    ]);
  });

  it('merges duplicates of a mergeable kind when merge() agrees', async () => {
    const graph = await resolveYaml(['resources:', '  pkg:', '  - name: vim', '    state: installed', '  - name: vim', '    state: installed', '    allowUntrusted: true']);
    expect([...graph.resources.keys()]).toEqual(['pkg[vim]']);
    expect(graph.resources.get('pkg[vim]')?.params).toEqual({ state: 'installed', allowUntrusted: true });
  });

  it('refuses mergeable duplicates whose metaparams differ', async () => {
    const [problem] = await problemsOf(['resources:', '  pkg:', '  - {name: vim, state: installed}', '  - {name: vim, state: installed, meta: {retry: 2}}']);
    expect(problem?.code).toBe('ERR_DUPLICATE_RESOURCE');
    // QA: what differs was named for other kinds only.
    expect(problem?.message).toBe('declared twice (at g.yaml:3 and g.yaml:4) with params or metaparams that cannot be merged (differing in meta.retry)');
  });
});

describe('resolveGraph: a long cycle', () => {
  it('names its first and last few resources and how many between, at its first written edge (QA: all 10,000 on one line of 300 KB)', async () => {
    const count = 40;
    const names = Array.from({ length: count }, (_, index) => `  - name: n${index}`);
    const edges = Array.from({ length: count }, (_, index) => `- {from: {kind: noop, name: n${index}}, to: {kind: noop, name: n${(index + 1) % count}}}`);
    const [problem] = await problemsOf(['resources:', '  noop:', ...names, 'edges:', ...edges]);
    expect(problem?.code).toBe('ERR_CYCLE');
    const path = problem?.message.slice('the graph has a cycle: '.length).split(' -> ') ?? [];
    // 12 of the 40 named (the last is the first again, closing it), 29 left out between.
    expect(path).toHaveLength(13);
    expect(path[6]).toBe('(29 more)');
    expect(path[0]).toBe(path[12]);
    expect(new Set(path.filter((step) => step.startsWith('noop['))).size).toBe(11);
    expect(problem?.location?.line).toBeGreaterThan(count + 2);
  });
});

describe('resolveGraph: a cycle an autoedge closes', () => {
  // The real file kind: its autoedge puts a folder before the files in it.
  const resolver = mapResolver([...testKinds.filter((kind) => kind.kind !== 'file'), fileResource as unknown as AnyResourceDefinition]);
  const folderAndFile = ['resources:', '  file:', '  - name: /tmp/W/v/x/', '    state: exists', '  - name: /tmp/W/v/x/g', '    state: exists', '    content: "1\\n"'];

  it('is told at the edge written against it, naming the autoedge (QA: at the line of a resource, while the hint said to change an edge)', async () => {
    const problems = await problemsOf(
      [...folderAndFile, 'edges:', '- {name: dirx, from: {kind: file, name: /tmp/W/v/x/g}, to: {kind: file, name: /tmp/W/v/x/}}'],
      resolver,
    );
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.location?.column])).toEqual([['ERR_CYCLE', 9, 3]]);
    expect(problems[0]?.message).toBe(
      'the graph has a cycle: file[/tmp/W/v/x/g] -> file[/tmp/W/v/x/] -> file[/tmp/W/v/x/g]; file[/tmp/W/v/x/] -> file[/tmp/W/v/x/g] is an autoedge (converge adds it, no file has it); the edge you wrote is this one',
    );
    expect(problems[0]?.hint).toBe(
      'remove or reverse this edge, or set meta: {autoedge: false} on file[/tmp/W/v/x/] or file[/tmp/W/v/x/g] (that resource then gets no autoedges: write the edges it needs)',
    );
  });

  it('is told at the first written edge of it, with the lines of the others', async () => {
    const problems = await problemsOf(
      [
        ...folderAndFile,
        '  noop:',
        '  - name: a',
        'edges:',
        '- {from: {kind: file, name: /tmp/W/v/x/g}, to: {kind: noop, name: a}}',
        '- {from: {kind: noop, name: a}, to: {kind: file, name: /tmp/W/v/x/}}',
      ],
      resolver,
    );
    expect(problems.map((problem) => problem.code)).toEqual(['ERR_CYCLE']);
    // The cycle may be found from any of its resources: either written edge may be the one it is told at.
    const [at, other] = problems[0]?.location?.line === 11 ? [11, 12] : [12, 11];
    expect(problems[0]?.location?.line).toBe(at);
    expect(problems[0]?.message).toContain('; file[/tmp/W/v/x/] -> file[/tmp/W/v/x/g] is an autoedge');
    expect(problems[0]?.message).toContain(`; the edges you wrote are this one and the one at g.yaml:${other}`);
    expect(problems[0]?.hint).toMatch(/^remove or reverse one of the edges you wrote, or set meta: \{autoedge: false\} on file\[\/tmp\/W\/v\/x\/\] or /);
  });
});

describe('resolveGraph: edges', () => {
  const threeNoops = ['resources:', '  noop:', '  - name: a', '  - name: b', '  - name: c'];

  it('merges duplicate edges between the same pair, ORing notify', async () => {
    const graph = await resolveYaml([
      ...threeNoops,
      'edges:',
      '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}}',
      '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: true}',
      '- {from: {kind: noop, name: b}, to: {kind: noop, name: c}}',
    ]);
    expect(graph.edges).toEqual([
      // Where its notify comes from, for a warning about the notification.
      { from: 'noop[a]', to: 'noop[b]', notify: true, origin: 'explicit', location: { file: 'g.yaml', line: 7, column: 3 }, notifyLocation: { file: 'g.yaml', line: 8, column: 3 } },
      { from: 'noop[b]', to: 'noop[c]', notify: false, origin: 'explicit', location: { file: 'g.yaml', line: 9, column: 3 } },
    ]);
    // QA: merged with no word, the edge without notify became a notifying one.
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.resource, warning.message, warning.hint])).toEqual([
      [
        8,
        'edge noop[a] -> noop[b]',
        'listed twice (at g.yaml:7 and here), with notify: true in one only: merged into one edge, which notifies',
        'remove the one not meant: the edge notifies if either asks',
      ],
    ]);
  });

  it('warns at an edge listed twice the same, and says whether the one edge notifies', async () => {
    const edge = '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}}';
    const graph = await resolveYaml([...threeNoops, 'edges:', edge, edge, '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: true}', edge]);
    expect(graph.edges).toEqual([
      { from: 'noop[a]', to: 'noop[b]', notify: true, origin: 'explicit', location: { file: 'g.yaml', line: 7, column: 3 }, notifyLocation: { file: 'g.yaml', line: 9, column: 3 } },
    ]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [8, 'listed twice, the same both times (at g.yaml:7 and here): read as one edge, which does not notify'],
      [9, 'listed 3 times (first at g.yaml:7), with notify: true in some only: merged into one edge, which notifies'],
      // Told against one written the same, and what the edge has become.
      [10, 'listed 4 times (this one as at g.yaml:7): read as one edge, which notifies'],
    ]);
  });

  it('suggests the resource an edge probably meant', async () => {
    const [problem] = await problemsOf([...threeNoops, 'edges:', '- {from: {kind: noop, name: a}, to: {kind: nop, name: b}}']);
    expect(problem).toMatchObject({
      code: 'ERR_UNKNOWN_RESOURCE',
      location: { line: 7 },
      hint: "did you mean 'noop[b]'? (the resource named 'b' is of kind 'noop', not 'nop')",
    });
  });

  it('suggests the kind of a resource of that name, however far the kind written is (QA: exec[web-server] got no suggestion)', async () => {
    const resources = ['resources:', '  noop:', '  - name: web-server', '  - name: a', '  file:', '  - name: /srv/www', '  exec:', '  - name: /srv/www/'];
    const problems = await problemsOf([
      ...resources,
      'edges:',
      '- {from: {kind: exec, name: web-server}, to: {kind: noop, name: a}}',
      '- {from: {kind: noop, name: a}, to: {kind: svc, name: /srv/www}}',
    ]);
    expect(problems.map((problem) => [problem.location?.line, problem.message, problem.hint])).toEqual([
      [10, 'edge refers to exec[web-server], which is not in the graph', "did you mean 'noop[web-server]'? (the resource named 'web-server' is of kind 'noop', not 'exec')"],
      [
        11,
        'edge refers to svc[/srv/www], which is not in the graph',
        "did you mean 'file[/srv/www]' or 'exec[/srv/www/]'? (the resources named '/srv/www' are of kinds 'file', 'exec', not 'svc')",
      ],
    ]);
  });

  it('refuses self-edges and names a cycle at one of its edges', async () => {
    const problems = await problemsOf([
      ...threeNoops,
      'edges:',
      '- {from: {kind: noop, name: c}, to: {kind: noop, name: c}}',
      '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}}',
      '- {from: {kind: noop, name: b}, to: {kind: noop, name: a}}',
    ]);
    expect(problems.map((problem) => [problem.code, problem.location?.line])).toEqual([
      ['ERR_SELF_EDGE', 7],
      ['ERR_CYCLE', expect.any(Number)],
    ]);
    expect([8, 9]).toContain(problems[1]?.location?.line);
    expect(problems[1]?.message).toMatch(/noop\[a\] -> noop\[b\]|noop\[b\] -> noop\[a\]/);
  });
});

describe('resolveGraph: send/recv', () => {
  const senderAndReceiver = ['resources:', '  exec:', '  - name: date', '  file:', '  - name: /tmp/date', 'edges:'];
  const edge = (send: string, recv: string) => `- {from: {kind: exec, name: date}, to: {kind: file, name: /tmp/date}, send: ${send}, recv: ${recv}}`;

  it('accepts a typed send/recv edge', async () => {
    const graph = await resolveYaml([...senderAndReceiver, edge('output', 'content')]);
    expect(graph.edges).toEqual([
      expect.objectContaining({ from: 'exec[date]', to: 'file[/tmp/date]', send: 'output', recv: 'content', notify: false }),
    ]);
  });

  it('lets a received param be left out even when the schema requires it', async () => {
    const receiver = defineResource({
      kind: 'sink',
      params: Type.Object({ value: Type.String(), label: Type.Optional(Type.String()) }),
      create: () => ({ checkApply: () => true }),
    });
    const resolver = mapResolver([...testKinds, receiver as unknown as AnyResourceDefinition]);
    const lines = ['resources:', '  exec:', '  - name: date', '  sink:', '  - name: s', 'edges:'];
    const graph = await resolveYaml([...lines, '- {from: {kind: exec, name: date}, to: {kind: sink, name: s}, send: output, recv: value}'], resolver);
    expect(graph.resources.get('sink[s]')?.params).toEqual({});
    const [problem] = await problemsOf(lines, resolver);
    expect(problem?.message).toMatch(/missing required param 'value'/);
  });

  it.each([
    ['output', 'contents', "kind 'file' has no param 'contents' to receive into"],
    ['stdout', 'content', "kind 'exec' does not send 'stdout'"],
    ['exitcode', 'content', 'sends \'exitcode\' as whole number, which does not fit param \'content\''],
    ['lines', 'content', 'as list of string'],
  ])('refuses send %s into %s', async (send, recv, words) => {
    const [problem] = await problemsOf([...senderAndReceiver, edge(send, recv)]);
    expect(problem).toMatchObject({ code: 'ERR_SEND_RECV', location: { line: 7 } });
    expect(problem?.message).toContain(words);
  });

  /** Two execs and a file, then `edges:`: lines 1 to 7, so the first edge is at line 8. */
  const DATE_UPTIME_FILE = ['resources:', '  exec:', '  - name: date', '  - name: uptime', '  file:', '  - name: /tmp/date', 'edges:'];

  it('refuses send without recv, and a param received twice', async () => {
    const problems = await problemsOf([
      ...DATE_UPTIME_FILE,
      '- {from: {kind: exec, name: date}, to: {kind: file, name: /tmp/date}, send: output}',
      edge('output', 'content'),
      '- {from: {kind: exec, name: uptime}, to: {kind: file, name: /tmp/date}, send: output, recv: content}',
    ]);
    expect(problems.map((problem) => [problem.code, problem.location?.line])).toEqual([
      ['ERR_SEND_RECV', 8],
      ['ERR_SEND_RECV', 10],
    ]);
    expect(problems[1]?.message).toContain('received by two edges (the other at g.yaml:9:3)');
  });

  it('tells in one load what a wrong send/recv edge hides: its unknown send key, and a cycle through it', async () => {
    const problems = await problemsOf([
      ...DATE_UPTIME_FILE,
      edge('output', 'content'),
      '- {from: {kind: exec, name: uptime}, to: {kind: file, name: /tmp/date}, send: nosuch, recv: content}',
      '- {from: {kind: file, name: /tmp/date}, to: {kind: exec, name: uptime}}',
    ]);
    expect(problems.map((problem) => [problem.code, problem.location?.line, problem.message])).toEqual([
      ['ERR_SEND_RECV', 9, "param 'content' of file[/tmp/date] is received by two edges (the other at g.yaml:8:3)"],
      ['ERR_SEND_RECV', 9, "kind 'exec' does not send 'nosuch'"],
      ['ERR_CYCLE', expect.any(Number), expect.stringContaining('the graph has a cycle')],
    ]);
  });

  it('warns at a notify edge whose receiver does nothing on a refresh (QA: a container was never restarted, with no word)', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  noop:',
      '  - name: a',
      '  file:',
      '  - name: /etc/app.conf',
      'edges:',
      '- {from: {kind: noop, name: a}, to: {kind: file, name: /etc/app.conf}, notify: true}',
    ]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [7, "notifies file[/etc/app.conf], whose kind 'file' does nothing on a refresh: the notification is lost"],
    ]);
    const toNoop = await resolveYaml(['resources:', '  noop:', '  - name: a', '  - name: b', 'edges:', '- {from: {kind: noop, name: a}, to: {kind: noop, name: b}, notify: true}']);
    expect(toNoop.warnings).toBeUndefined();
    // Through a noop that notifies on, the chain stops: mgmt's noop passes nothing on either (QA: silently).
    // The warning names the edge in and each edge on, with where it is written (QA: it named neither).
    const throughNoop = await resolveYaml([
      'resources:',
      '  noop:',
      '  - name: hub',
      '  - name: end',
      '  - name: other',
      '  file:',
      '  - name: /etc/app.conf',
      'edges:',
      '- {from: {kind: file, name: /etc/app.conf}, to: {kind: noop, name: hub}, notify: true}',
      '- {from: {kind: noop, name: hub}, to: {kind: noop, name: end}, notify: true}',
      '- {from: {kind: noop, name: hub}, to: {kind: noop, name: other}, notify: true}',
    ]);
    expect(throughNoop.warnings?.map((warning) => [warning.location.line, warning.resource, warning.message, warning.hint])).toEqual([
      [
        9,
        'edge file[/etc/app.conf] -> noop[hub]',
        'notifies noop[hub], which passes no notification on (a noop changes nothing): its own notify edges noop[hub] -> noop[end] (g.yaml:10), noop[hub] -> noop[other] (g.yaml:11) are never refreshed from here',
        'notify noop[end], noop[other] from file[/etc/app.conf] directly',
      ],
    ]);
    // A kind may say it per resource, from its params (QA: a virt without restartonrefresh got no warning).
    const restarting = defineResource({
      kind: 'svc',
      params: Type.Object({ restart: Type.Optional(Type.Boolean()) }),
      refreshable: (params) => params.restart === true,
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const perResource = await resolveGraph(
      parseGraphYaml(['resources:', '  noop:', '  - name: a', '  svc:', '  - {name: on, restart: true}', '  - {name: off}', 'edges:', '- {from: {kind: noop, name: a}, to: {kind: svc, name: on}, notify: true}', '- {from: {kind: noop, name: a}, to: {kind: svc, name: off}, notify: true}', 'graph: g'].join('\n'), 'g.yaml'),
      mapResolver([...testKinds, restarting]),
    );
    expect(perResource.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [9, "notifies svc[off], which does nothing on a refresh as its params are (see its kind's README): the notification is lost"],
    ]);
  });

  it('tells a lost notification at the edge that asks for it when two edges merged, the first without notify (QA: told at the first)', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  noop:',
      '  - name: a',
      '  - name: hub',
      '  - name: end',
      '  file:',
      '  - name: /etc/app.conf',
      'edges:',
      '- {from: {kind: noop, name: a}, to: {kind: file, name: /etc/app.conf}}',
      '- {from: {kind: noop, name: a}, to: {kind: file, name: /etc/app.conf}, notify: true}',
      '- {from: {kind: file, name: /etc/app.conf}, to: {kind: noop, name: hub}, notify: true}',
      '- {from: {kind: noop, name: hub}, to: {kind: noop, name: end}}',
      '- {from: {kind: noop, name: hub}, to: {kind: noop, name: end}, notify: true}',
    ]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.resource, warning.message])).toEqual([
      [10, 'edge noop[a] -> file[/etc/app.conf]', 'listed twice (at g.yaml:9 and here), with notify: true in one only: merged into one edge, which notifies'],
      [13, 'edge noop[hub] -> noop[end]', 'listed twice (at g.yaml:12 and here), with notify: true in one only: merged into one edge, which notifies'],
      [10, 'edge noop[a] -> file[/etc/app.conf]', "notifies file[/etc/app.conf], whose kind 'file' does nothing on a refresh: the notification is lost"],
      // The notify edge onward from the noop is named by the line that asks to notify, too.
      [
        11,
        'edge file[/etc/app.conf] -> noop[hub]',
        'notifies noop[hub], which passes no notification on (a noop changes nothing): its own notify edge noop[hub] -> noop[end] (g.yaml:13) is never refreshed from here',
      ],
    ]);
  });

  it('keeps one edge per send/recv key between a pair, folding plain edges into it', async () => {
    const pair = '{from: {kind: exec, name: date}, to: {kind: exec, name: cat}';
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: date',
      '  - name: cat',
      'edges:',
      `- ${pair}, notify: true}`,
      `- ${pair}, send: output, recv: input}`,
      `- ${pair}, send: output, recv: input}`,
      `- ${pair}, send: lines, recv: args}`,
    ]);
    expect(graph.edges.map(({ send, recv, notify, location }) => ({ send, recv, notify, line: location?.line }))).toEqual([
      { send: 'output', recv: 'input', notify: true, line: 7 },
      { send: 'lines', recv: 'args', notify: false, line: 9 },
    ]);
    // Each fold is told; the second send/recv key is an edge of its own, and is not (the test kind's exec acts on no refresh: told apart).
    const folds = graph.warnings?.filter((warning) => !warning.message.includes('does nothing on a refresh'));
    expect(folds?.map((warning) => [warning.location.line, warning.message, warning.hint])).toEqual([
      [
        7,
        'merged with the plain edge at g.yaml:6 between the same resources, which this send/recv edge orders already (notify: true on one of the two only): one edge, which notifies',
        'remove the plain edge and write notify: true on the send/recv edge',
      ],
      [8, 'listed twice, the same both times (at g.yaml:7 and here): read as one edge, which notifies', 'remove one of them'],
    ]);
    const plainAfter = await resolveYaml(['resources:', '  exec:', '  - name: date', '  - name: cat', 'edges:', `- ${pair}, send: output, recv: input}`, `- ${pair}}`]);
    expect(plainAfter.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([
      [7, 'merged into the send/recv edge at g.yaml:6 (output→input) between the same resources, which orders them already: one edge, which does not notify'],
    ]);
  });

  it('keeps several send/recv edges between two resources, each with its own key, without a warning', async () => {
    const pair = '{from: {kind: exec, name: date}, to: {kind: exec, name: cat}';
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: date',
      '  - name: cat',
      'edges:',
      `- ${pair}, send: output, recv: input}`,
      `- ${pair}, send: lines, recv: args}`,
    ]);
    expect(graph.edges.map(({ send, recv, location }) => ({ send, recv, line: location?.line }))).toEqual([
      { send: 'output', recv: 'input', line: 6 },
      { send: 'lines', recv: 'args', line: 7 },
    ]);
    expect(graph.warnings).toBeUndefined();
  });
});

describe('resolveGraph: a kind checks its resources together (validateGraph)', () => {
  /** A kind whose resources may not share a `slot` (a contradiction no single resource shows). */
  const slotted = (onCheck?: (names: string[]) => void) =>
    defineResource({
      kind: 'slotted',
      params: Type.Object({ slot: Type.Optional(Type.Integer()) }),
      create: () => ({ checkApply: () => true }),
      validateGraph: (resources) => {
        onCheck?.(resources.map((resource) => resource.name));
        const seen = new Map<number | undefined, string>();
        return resources.flatMap(({ name, params }, index) => {
          const first = seen.get(params.slot);
          seen.set(params.slot, first ?? name);
          return first === undefined ? [] : [{ resource: index, param: 'slot', message: `taken by ${first}`, hint: 'pick another slot' }];
        });
      },
    }) as unknown as AnyResourceDefinition;

  it('tells an issue at the param of the resource it names, as a load error', async () => {
    const problems = await problemsOf(['resources:', '  slotted:', '  - name: a', '    slot: 1', '  - name: b', '    slot: 2', '  - name: c', '    slot: 1'], mapResolver([slotted()]));
    expect(problems.map((problem) => [problem.code, problem.resource, problem.location?.line, problem.message, problem.hint])).toEqual([
      ['ERR_PARAM_INVALID', 'slotted[c]', 8, "param 'slot': taken by a", 'pick another slot'],
    ]);
  });

  it('leaves out hidden resources (they run on another host) and kinds without the check', async () => {
    const checked: string[][] = [];
    const graph = await resolveYaml(
      ['resources:', '  slotted:', '  - name: a', '    slot: 1', '  - name: b', '    slot: 1', '    meta: {hidden: true}', '  noop:', '  - name: n'],
      mapResolver([slotted((names) => checked.push(names)), ...testKinds]),
    );
    expect(graph.resources.size).toBe(3);
    expect(checked).toEqual([['a']]);
  });

  it("is given the whole graph that runs here, every kind's resources with their params (engine API 1.13), hidden ones left out", async () => {
    const seen: string[][] = [];
    const looking = defineResource({
      kind: 'looking',
      params: Type.Object({ at: Type.String() }),
      create: () => ({ checkApply: () => true }),
      validateGraph: (resources, graph) => {
        seen.push((graph ?? []).map(({ kind, name, params }) => `${kind}[${name}] ${JSON.stringify(params)}`));
        // A contradiction with another kind's resource: told at this one.
        return resources.flatMap(({ params }, index) =>
          graph?.some((other) => other.kind === 'slotted' && other.name === params.at) ? [{ resource: index, param: 'at', message: `contradicts slotted[${params.at}]` }] : [],
        );
      },
    }) as unknown as AnyResourceDefinition;
    const text = ['resources:', '  slotted:', '  - name: a', '    slot: 1', '  - name: b', '    meta: {hidden: true}', '  looking:', '  - name: l', '    at: a', '  - name: m', '    at: b'];
    const problems = await problemsOf(text, mapResolver([slotted(), looking]));
    expect(problems.map((problem) => [problem.resource, problem.location?.line, problem.message])).toEqual([['looking[l]', 9, "param 'at': contradicts slotted[a]"]]);
    expect(seen).toEqual([['slotted[a] {"slot":1}', 'looking[l] {"at":"a"}', 'looking[m] {"at":"b"}']]);
  });

  it('is told which params an edge fills with a secret send (engine API 1.16), and a warning it returns loads the graph, told at that edge', async () => {
    const keeper = defineResource({
      kind: 'keeper',
      params: Type.Object({}),
      sends: Type.Object({ token: Type.String({ secret: true }), label: Type.String() }),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const seen: string[] = [];
    const shown = defineResource({
      kind: 'shown',
      params: Type.Object({ text: Type.Optional(Type.String()), note: Type.Optional(Type.String()) }),
      create: () => ({ checkApply: () => true }),
      validateGraph: (resources) =>
        resources.flatMap(({ name, receivesSecrets }, index) => {
          seen.push(`${name}: ${receivesSecrets?.join(',') ?? 'none'}`);
          return receivesSecrets?.includes('text') ? [{ resource: index, param: 'text', severity: 'warning' as const, message: 'shows a secret', hint: 'hide it' }] : [];
        }),
    }) as unknown as AnyResourceDefinition;
    const edge = (send: string, to: string, recv: string): string[] => ['- from: {kind: keeper, name: k}', `  to: {kind: shown, name: ${to}}`, `  send: ${send}`, `  recv: ${recv}`];
    const graph = await resolveYaml(
      ['resources:', '  keeper:', '  - name: k', '  shown:', '  - name: s', '  - name: t', 'edges:', ...edge('token', 's', 'text'), ...edge('label', 't', 'text'), ...edge('token', 't', 'note')],
      mapResolver([keeper, shown]),
    );
    expect(seen).toEqual(['s: text', 't: note']);
    expect(graph.warnings?.map((warning) => [warning.resource, warning.location.line, warning.message, warning.hint])).toEqual([['shown[s]', 8, "param 'text': shows a secret", 'hide it']]);
  });

  it('reports a check that throws as a problem of the graph, naming the plugin, and does not crash the load', async () => {
    const throwing = defineResource({
      kind: 'slotted',
      params: Type.Object({}),
      create: () => ({ checkApply: () => true }),
      validateGraph: () => {
        throw new Error('graph check exploded');
      },
    }) as unknown as AnyResourceDefinition;
    const [problem] = await problemsOf(['resources:', '  slotted:', '  - name: a'], mapResolver([throwing]));
    expect(problem).toMatchObject({ code: 'ERR_PLUGIN_INVALID', resource: 'slotted[a]', location: { line: 3 } });
    expect(problem?.message).toBe("the graph check of kind 'slotted' failed: graph check exploded");
  });

  it('reports an issue about a resource the check was not given as the plugin\'s bug, as a throw, rather than drop it (QA: validate said ok)', async () => {
    const misplaced = defineResource({
      kind: 'slotted',
      params: Type.Object({}),
      create: () => ({ checkApply: () => true }),
      validateGraph: (resources) => [{ resource: 99, message: 'bad index' }, { resource: 0.5, message: 'half' }, { resource: resources.length - 1, message: 'told' }],
    }) as unknown as AnyResourceDefinition;
    const problems = await problemsOf(['resources:', '  slotted:', '  - name: a', '  - name: b'], mapResolver([misplaced]));
    expect(problems.map((problem) => [problem.code, problem.resource, problem.location?.line, problem.message, problem.hint])).toEqual([
      ['ERR_PLUGIN_INVALID', 'slotted[a]', 3, 'the graph check of kind \'slotted\' failed: it returned an issue about resource 99, but the 2 resources it was given are 0 to 1 (the issue: "bad index")', "a bug in the plugin that provides 'slotted': tell its authors"],
      ['ERR_PLUGIN_INVALID', 'slotted[a]', 3, 'the graph check of kind \'slotted\' failed: it returned an issue about resource 0.5, but the 2 resources it was given are 0 to 1 (the issue: "half")', "a bug in the plugin that provides 'slotted': tell its authors"],
      ['ERR_PARAM_INVALID', 'slotted[b]', 4, 'told', "see what kind 'slotted' accepts in its plugin's README"],
    ]);
  });
});

describe('resolveGraph: scalars written for text params, as mgmt reads YAML (scalarsAsText)', () => {
  const envKind = defineResource({
    kind: 'svcenv',
    params: Type.Object({
      env: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Record(Type.String(), Type.String())])),
      user: Type.Optional(Type.String()),
      ratio: Type.Optional(Type.String()),
      count: Type.Optional(Type.Integer()),
      port: Type.Optional(Type.Integer({ maximum: 65535 })),
    }),
    create: () => ({ checkApply: () => true }),
  }) as unknown as AnyResourceDefinition;
  const lines = ['resources:', '  svcenv:', '  - name: web', '    env: {PORT: 8080, DEBUG: true, NAME: web}', '    user: 65534'];
  const resolveAsMgmt = (text: readonly string[]) => resolveGraph(parseGraphYaml([...text, 'graph: g'].join('\n'), 'g.yaml'), mapResolver([envKind]), { scalarsAsText: true });

  it('reads a number or a boolean as the text it is written as, with a warning at the value that does not repeat it (QA: env PORT: 8080 and user: 65534 load in mgmt)', async () => {
    const graph = await resolveAsMgmt(lines);
    expect(graph.resources.get('svcenv[web]')?.params).toMatchObject({ env: { PORT: '8080', DEBUG: 'true', NAME: 'web' }, user: '65534' });
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.location.column, warning.message, warning.hint])).toEqual([
      [4, 17, "param 'env' at PORT: read a number as the text it is written as, as mgmt does", 'quote it to say it is text'],
      [4, 30, "param 'env' at DEBUG: read a boolean as the text it is written as, as mgmt does", 'quote it to say it is text'],
      [5, 11, "param 'user': read a number as the text it is written as, as mgmt does", 'quote it to say it is text'],
    ]);
  });

  it('keeps the form a number is written in (QA: 0x1F became 31, 1.0 became 1), and still refuses text where a number is wanted, and a graph built in code', async () => {
    const graph = await resolveAsMgmt(['resources:', '  svcenv:', '  - name: web', '    ratio: 1.50', '    user: 0x1F', '    env: [+7, 1e3, .inf, -.Inf, .NaN]']);
    expect(graph.resources.get('svcenv[web]')?.params).toMatchObject({ ratio: '1.50', user: '0x1F', env: ['+7', '1e3', '.inf', '-.Inf', '.NaN'] });
    // An entry left empty is the empty text (a param left empty is not set: see legacy params).
    const empty = await resolveAsMgmt(['resources:', '  svcenv:', '  - name: web', '    env: {A: , B: ~}']);
    expect(empty.resources.get('svcenv[web]')?.params).toMatchObject({ env: { A: '', B: '' } });
    expect(empty.warnings?.map((warning) => warning.message)).toEqual([
      "param 'env' at A: read an empty value as the empty text, as mgmt does",
      "param 'env' at B: read an empty value as the empty text, as mgmt does",
    ]);
    const problems = await resolveAsMgmt(['resources:', '  svcenv:', '  - name: web', '    count: "3"']).then(
      () => [],
      (error: unknown) => (error as GraphLoadError).problems.map((problem) => problem.message),
    );
    expect(problems).toEqual(['param \'count\': expected whole number, got "3"']);
    const inCode = await problemsOf(lines, mapResolver([envKind]));
    expect(inCode.map((problem) => problem.location?.line)).toEqual([4, 4, 5]);
  });

  it('quotes a number that does not fit as the graph writes it, not as a double holds it (9007199254740993 was told as ...992, 1e400 as Infinity)', async () => {
    const problems = await resolveAsMgmt(['resources:', '  svcenv:', '  - name: web', '    port: 9007199254740993', '  - name: db', '    count: 1e400']).then(
      () => [],
      (error: unknown) => (error as GraphLoadError).problems.map((problem) => [problem.location?.line, problem.message]),
    );
    expect(problems).toEqual([
      [4, "param 'port': expected whole number (<= 65535), got 9007199254740993"],
      [6, "param 'count': expected whole number, got 1e400"],
    ]);
  });

  it('gives a param that takes a number or a text the text of a number written in another form (mode: 0x1A4 is not the mode 420)', async () => {
    const modeKind = defineResource({
      kind: 'moded',
      params: Type.Object({ mode: Type.Optional(Type.Union([Type.String(), Type.Integer()])) }),
      create: () => ({ checkApply: () => true }),
    }) as unknown as AnyResourceDefinition;
    const graph = await resolveGraph(parseGraphYaml(['resources:', '  moded:', '  - name: a', '    mode: 0x1A4', '  - name: b', '    mode: 644', 'graph: g'].join('\n'), 'g.yaml'), mapResolver([modeKind]), {
      scalarsAsText: true,
    });
    expect(graph.resources.get('moded[a]')?.params.mode).toBe('0x1A4');
    expect(graph.resources.get('moded[b]')?.params.mode).toBe(644);
  });
});

describe('resolveGraph: kinds written with capitals, as mgmt lowercases them', () => {
  it('reads an edge end kind lowercased when only the lowercase kind has resources, with a warning (QA: kind: Noop refused)', async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: a', '  - name: b', 'edges:', '- name: e1', '  from: {kind: Noop, name: a}', '  to: {kind: noop, name: b}']);
    expect(graph.edges.map((edge) => [edge.from, edge.to])).toEqual([['noop[a]', 'noop[b]']]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([[6, "read kind 'Noop' as 'noop', as mgmt does"]]);
  });

  it('reads a collect kind lowercased, and refuses one that names no kind at its line (QA: kind: fiel collected nothing, silently)', async () => {
    const graph = await resolveYaml(['collect:', '- kind: NOOP', 'resources:', '  noop:', '  - name: a']);
    expect(graph.collect?.map((entry) => entry.kind)).toEqual(['noop']);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([[2, "read kind 'NOOP' as 'noop', as mgmt does"]]);
    const problems = await problemsOf(['collect:', '- kind: nop', 'resources:', '  noop:', '  - name: a']);
    expect(problems.map((problem) => [problem.code, problem.location?.line])).toEqual([['ERR_UNKNOWN_KIND', 2]]);
  });
});

describe('names written as numbers or booleans, as mgmt reads them', () => {
  it('are the text they are written as, in resources and edges, with a warning (QA: name: 12345 was refused)', async () => {
    const graph = await resolveYaml(['resources:', '  noop:', '  - name: 0x1F', '  - name: true', 'edges:', '- {from: {kind: noop, name: 0x1F}, to: {kind: noop, name: "true"}}']);
    expect([...graph.resources.keys()]).toEqual(['noop[0x1F]', 'noop[true]']);
    expect(graph.edges.map((edge) => [edge.from, edge.to])).toEqual([['noop[0x1F]', 'noop[true]']]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.resource, warning.message])).toEqual([
      [3, 'noop[0x1F]', 'read the name 0x1F as the text "0x1F", as mgmt does'],
      [4, 'noop[true]', 'read the name true as the text "true", as mgmt does'],
      [6, "the edge's 'from'", 'read the name 0x1F as the text "0x1F", as mgmt does'],
    ]);
  });

  it("include the graph's own name (QA: graph: 123 was refused)", async () => {
    const graph = await resolveGraph(parseGraphYaml(['graph: 123', 'resources:', '  noop:', '  - name: a'].join('\n'), 'g.yaml'), mapResolver());
    expect(graph.name).toBe('123');
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.message])).toEqual([[1, 'read the name 123 as the text "123", as mgmt does']]);
  });
});

describe('hints for what mgmt users often write (QA)', () => {
  const hintsOf = async (lines: readonly string[]) => (await problemsOf(lines)).map((problem) => [problem.location?.line, problem.message, problem.hint]);

  it('an edge that names a resource by its path is pointed at the resource that manages the path, as that resource writes it', async () => {
    const problems = await hintsOf([
      'resources:',
      '  file:',
      '  - {name: conf, path: /etc/app/conf}',
      '  - {name: /srv/www}',
      '  noop:',
      '  - name: n',
      'edges:',
      '- {from: {kind: noop, name: n}, to: {kind: file, name: /etc/app/conf/}}',
      '- {from: {kind: noop, name: n}, to: {kind: file, name: /srv//www/./}}',
    ]);
    expect(problems).toEqual([
      [8, 'edge refers to file[/etc/app/conf/], which is not in the graph', 'an edge names a resource by its name: did you mean file[conf] (its path is /etc/app/conf)?'],
      [9, 'edge refers to file[/srv//www/./], which is not in the graph', 'an edge names a resource by its name: did you mean file[/srv/www] (its path is /srv/www)?'],
    ]);
  });

  it('an edge that names a path is not pointed at a resource that only reads it (QA: a copy from it, made a self-edge)', async () => {
    const problems = await hintsOf([
      'resources:',
      '  file:',
      '  - {name: motd, path: /etc/motd, content: /etc/app/conf}',
      'edges:',
      '- {from: {kind: file, name: motd}, to: {kind: file, name: /etc/app/conf}}',
    ]);
    expect(problems.map(([, , hint]) => hint)).toEqual(['define the resource under `resources:` or fix the edge']);
  });

  it('Meta and Name written with a capital are told to be written in lower case', async () => {
    expect(await hintsOf(['resources:', '  noop:', '  - name: a', '    Meta: {retry: 1}'])).toEqual([
      [4, "unknown param 'Meta' for kind 'noop'", "did you mean 'meta'? keys are written in lower case"],
    ]);
    expect(await hintsOf(['resources:', '  noop:', '  - name: a', '  - Name: b'])).toEqual([
      [4, "a resource of kind 'noop' has no name", "write its 'Name' key in lower case: `name: ...`"],
    ]);
  });

  it("a known key written as `-key:` among a resource's keys is told as the list item's dash, for every kind (QA: '-state' got did you mean 'state')", async () => {
    const dash = (key: string): string =>
      `'-${key}' is read as a key, not as a list item; a list item's - is followed by a space: write \`- ${key}:\`, or \`${key}:\` for a key of this resource`;
    const real = mapResolver([fileResource, passwordResource] as unknown as AnyResourceDefinition[]);
    const problems = await problemsOf(
      ['resources:', '  file:', '  - name: /tmp/x', '    -state: exists', '  password:', '  - name: db', '    -length: 16', '  - name: other', '    -name: again'],
      real,
    );
    expect(problems.map((problem) => [problem.location?.line, problem.code, problem.message, problem.hint])).toEqual([
      [4, 'ERR_UNKNOWN_PARAM', "unknown param '-state' for kind 'file'", dash('state')],
      [7, 'ERR_UNKNOWN_PARAM', "unknown param '-length' for kind 'password'", dash('length')],
      [9, 'ERR_UNKNOWN_PARAM', "unknown param '-name' for kind 'password'", dash('name')],
    ]);
    // A dash before a key the kind does not know is an unknown param as any other.
    expect((await problemsOf(['resources:', '  file:', '  - name: /tmp/x', '    -colour: red'], real))[0]?.hint).toMatch(/^valid params: /);
  });

  it('a param written one level too far left, where kinds go, is told to be indented', async () => {
    const problems = await hintsOf(['resources:', '  file:', '  - name: /a', '  state: exists']);
    expect(problems).toEqual([
      [4, "the resources of kind 'state' must be a list, not the string 'exists'", "'state' stands where kinds go (under resources:): if it is a param of the resource above, indent it as far as that resource's name"],
    ]);
  });

  it('a mapping or a list of words written where kinds go is told to be indented too, once (QA: told to be a list, or once per word)', async () => {
    const indent = (key: string) => `'${key}' stands where kinds go (under resources:): if it is a param of the resource above, indent it as far as that resource's name`;
    expect(await hintsOf(['resources:', '  exec:', '  - name: /bin/true', '  meta: {retry: 2}', '  args: [a, b]', '  env:', '    A: b'])).toEqual([
      [4, "the resources of kind 'meta' must be a list, not a mapping", indent('meta')],
      [5, "the resources of kind 'args' must be mappings, not the string 'a'", indent('args')],
      [6, "the resources of kind 'env' must be a list, not a mapping", indent('env')],
    ]);
    // A mapping with a name is one resource written without its list; with no resource above, nothing is too far left.
    expect(await hintsOf(['resources:', '  noop:', '  - name: b', '  noop2:', '    name: a'])).toEqual([
      [5, "the resources of kind 'noop2' must be a list, not a mapping", 'write a list: `noop2: [{name: ..., ...}]`'],
    ]);
    expect(await hintsOf(['resources:', '  noop:', '    retry: 2'])).toEqual([
      [3, "the resources of kind 'noop' must be a list, not a mapping", 'write a list: `noop: [{name: ..., ...}]`'],
    ]);
  });
});

describe('an exported resource that receives params through send/recv', () => {
  it('is told at its export that it is published without them (QA: collectors made an empty file, silently)', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: date',
      '  file:',
      '  - name: /tmp/date',
      '    path: /tmp/date',
      '    meta: {export: ["*"]}',
      '  - name: /tmp/other',
      '    path: /tmp/other',
      'edges:',
      '- {from: {kind: exec, name: date}, to: {kind: file, name: /tmp/date}, send: output, recv: content}',
      '- {from: {kind: exec, name: date}, to: {kind: file, name: /tmp/other}, send: output, recv: content}',
    ]);
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.resource, warning.message])).toEqual([
      [7, 'file[/tmp/date]', 'exported without content, which it receives through send/recv: values received stay on this host, so collectors get it as written'],
    ]);
    expect(graph.warnings?.[0]?.hint).toBe('write content in the graph to export it with them, or share the value through a kv (which etcd holds as it is)');
  });

  it('is not told to share the value through a kv when it is a kv (QA)', async () => {
    const graph = await resolveYaml([
      'resources:',
      '  exec:',
      '  - name: date',
      '  kv:',
      '  - name: stamp',
      '    meta: {export: ["*"]}',
      'edges:',
      '- {from: {kind: exec, name: date}, to: {kind: kv, name: stamp}, send: output, recv: value}',
    ], mapResolver([...testKinds, kvResource as unknown as AnyResourceDefinition]));
    expect(graph.warnings?.map((warning) => [warning.location.line, warning.resource, warning.hint])).toEqual([
      [6, 'kv[stamp]', 'write value in the graph to export it with them'],
    ]);
  });
});
