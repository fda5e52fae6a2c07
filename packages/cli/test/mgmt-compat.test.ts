import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONCE, writeGraph } from './support/graphs.js';
import { announcedUrl, until } from './support/http.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

describe('file modes written as mgmt graphs write them', () => {
  it('reads an unquoted mode as octal digits, with or without a leading zero (QA: mode: 400 gave 0620, mode: 644 was refused)', async () => {
    const dir = await makeTempDir();
    const written = ['400', '644', '0640', '0o750', '"0600"', '755', '1777'] as const;
    const wanted = [0o400, 0o644, 0o640, 0o750, 0o600, 0o755, 0o1777];
    const graph = await writeGraph(
      dir,
      'modes.yaml',
      `graph: modes\nresources:\n  file:\n${written.map((mode, index) => `  - name: ${join(dir, `f${index}`)}\n    state: exists\n    content: "x\\n"\n    mode: ${mode}\n`).join('')}`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    const modes = await Promise.all(written.map(async (_mode, index) => (await stat(join(dir, `f${index}`))).mode & 0o7777));
    expect(modes.map((mode) => mode.toString(8))).toEqual(wanted.map((mode) => mode.toString(8)));
  });

  it('keeps the written form of a number in a text param (QA: content: 0x1F wrote 31), and refuses a mode written as hex or exponent', async () => {
    const dir = await makeTempDir();
    const hex = join(dir, 'hex');
    const graph = await writeGraph(dir, 'forms.yaml', `graph: forms\nresources:\n  file:\n  - name: ${hex}\n    state: exists\n    content: 0x1F\n`);
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(hex, 'utf8')).toBe('0x1F');
    const modes = await writeGraph(dir, 'modes.yaml', `graph: modes\nresources:\n  file:\n  - name: ${join(dir, 'm1')}\n    state: exists\n    mode: 0x1A4\n  - name: ${join(dir, 'm2')}\n    state: exists\n    mode: 1e3\n`);
    const refused = await runCli(['run', ...ONCE, modes]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`modes.yaml:6:11: file[${join(dir, 'm1')}]: param 'mode': mode "0x1A4"`);
    expect(refused.stderr).toContain(`modes.yaml:9:11: file[${join(dir, 'm2')}]: param 'mode': mode "1e3"`);
  });

  it('refuses an unquoted mode with the digits 8 or 9 at its line, and applies nothing', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'bad.yaml', `graph: bad\nresources:\n  file:\n  - name: ${join(dir, 'ok')}\n    state: exists\n  - name: ${join(dir, 'f')}\n    state: exists\n    mode: 488\n`);
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`bad.yaml:8:11: file[${join(dir, 'f')}]: param 'mode': 488 is not an octal mode`);
    await expect(stat(join(dir, 'ok'))).rejects.toThrow();
  });
});

describe("a file's params left at mgmt's zero values", () => {
  it("leaves a file alone with fragments: [] and empty owner, group, mode and source, as mgmt does, with a warning each (QA: fragments: [] emptied the file)", async () => {
    const dir = await makeTempDir();
    const kept = join(dir, 'kept');
    await writeFile(kept, 'precious data\n', { mode: 0o640 });
    const graph = await writeGraph(
      dir,
      'zero.yaml',
      `graph: zero\nresources:\n  file:\n  - name: ${kept}\n    path: ""\n    state: exists\n    owner: ""\n    group: ""\n    mode: ""\n    source: ""\n    fragments: []\n`,
    );
    for (const flags of [['--noop'], []]) {
      const result = await runCli(['run', ...ONCE, ...flags, graph]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`converged: file[${kept}]`);
      expect(result.stdout).not.toContain('would change');
      expect(result.stderr).toContain(`zero.yaml:11:16: warning: file[${kept}]: read 'fragments: []' as fragments not set, as mgmt does`);
      expect(result.stderr).toContain(`zero.yaml:7:12: warning: file[${kept}]: read 'owner: ""' as owner not set, as mgmt does`);
    }
    expect(await readFile(kept, 'utf8')).toBe('precious data\n');
    expect((await stat(kept)).mode & 0o7777).toBe(0o640);
  });
});

describe("mgmt's noop", () => {
  it('says it received a refresh, as mgmt\'s does, and a notify chain through it is warned of at load (QA: dropped silently)', async () => {
    const dir = await makeTempDir();
    const conf = join(dir, 'app.conf');
    const graph = await writeGraph(
      dir,
      'hub.yaml',
      `graph: hub\nresources:\n  file:\n  - {name: ${conf}, state: exists, content: "x"}\n  noop:\n  - name: hub\n  exec:\n  - {name: restart, cmd: /bin/true, refreshonly: true}\nedges:\n- {from: {kind: file, name: ${conf}}, to: {kind: noop, name: hub}, notify: true}\n- {from: {kind: noop, name: hub}, to: {kind: exec, name: restart}, notify: true}\n`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `hub.yaml:10:3: warning: edge file[${conf}] -> noop[hub]: notifies noop[hub], which passes no notification on (a noop changes nothing): its own notify edge noop[hub] -> exec[restart] (${graph}:11) is never refreshed from here`,
    );
    expect(result.stderr).toMatch(/noop\[hub\]: received a refresh \(a noop changes nothing and passes it on to no one\)/);
    expect(result.stdout).toContain('converged: exec[restart]');
  });
});

describe('scalars written for text params, as mgmt reads them', () => {
  it('runs a command with env values and a user written as numbers, and warns at each (QA: refused with exit 2 where mgmt runs it)', async () => {
    const dir = await makeTempDir();
    const out = join(dir, 'out');
    const graph = await writeGraph(
      dir,
      'env.yaml',
      `graph: env\nresources:\n  exec:\n  - name: show\n    cmd: /bin/sh\n    args: ["-c", "echo $PORT $DEBUG > ${out}"]\n    env: {PORT: 8080, DEBUG: true}\n    user: 0\n`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('8080 true\n');
    expect(result.stderr).toContain(`env.yaml:7:17: warning: exec[show]: param 'env' at PORT: read a number as the text it is written as, as mgmt does`);
    expect(result.stderr).toContain(`env.yaml:8:11: warning: exec[show]: param 'user': read a number as the text it is written as, as mgmt does`);
    // The value is not repeated in the warning: it may be a secret.
    expect(result.stderr).not.toContain('"8080"');
  });
});

describe("mgmt's command line", () => {
  it('runs the graph given as `run yaml --yaml FILE` or `run --yaml FILE`, and refuses two graphs (QA: --yaml was an unknown option)', async () => {
    const dir = await makeTempDir();
    const made = join(dir, 'made');
    const graph = await writeGraph(dir, 'g.yaml', `graph: g\nresources:\n  file:\n  - name: ${made}\n    state: exists\n`);
    const asMgmt = await runCli(['run', '--tmp-prefix', '--converged-timeout', '0', 'yaml', '--yaml', graph]);
    expect(asMgmt.code, asMgmt.stderr).toBe(0);
    expect((await stat(made)).isFile()).toBe(true);
    expect((await runCli(['run', '--tmp-prefix', '--converged-timeout', '0', '--yaml', graph])).code).toBe(0);
    // mgmt's -1 (never): runs on, as a run without the flag does.
    const never = startCli(['run', '--tmp-prefix', '--converged-timeout=-1', graph]);
    await never.waitFor(/converged: file\[/);
    never.child.kill('SIGINT');
    expect((await never.result).code).toBe(0);
    const twice = await runCli(['run', '--tmp-prefix', '--converged-timeout', '0', graph, '--yaml', graph]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('two graph files given');
  });
});

describe("mgmt's run flags", () => {
  const fileGraph = (dir: string, files: readonly string[]): string =>
    `graph: g\nresources:\n  file:\n${files.map((name) => `  - name: ${join(dir, name)}\n    state: exists\n    content: "hi\\n"\n`).join('')}`;
  const readOrEmpty = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');

  it('runs mgmt\'s `run yaml FILE` with the flags whose ask is what converge does anyway (QA: unknown option, too many arguments)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const result = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', '--no-pgp', '--no-server', '--no-raise-limits', '--no-network', '--no-deploy-watch', '--no-stream-watch', 'yaml', graph]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(dir, 'made'), 'utf8')).toBe('hi\n');
  });

  it('takes switches written with a value as Go takes them (=true is the switch, =false leaves it out), and refuses another value', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const dry = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', '--noop=true', '--no-pgp=TRUE', graph]);
    expect(dry.code, dry.stderr).toBe(0);
    await expect(stat(join(dir, 'made'))).rejects.toThrow();
    const refused = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', '--no-autoedges=true', graph]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('meta: {autoedge: false}');
    const maybe = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', '--noop=maybe', graph]);
    expect(maybe.code).toBe(2);
    expect(maybe.stderr).toContain('--noop is a switch: give it alone, or as --noop=true or --noop=false');
    await expect(stat(join(dir, 'made'))).rejects.toThrow();
    // The last one given wins, as with Go's flags (QA: an override after the defaults was dropped).
    const real = await runCli(['run', '--tmp-prefix', '--noop', '--converger-timeout=0', '--converged-exit=1', '--noop=false', '--no-autoedges=false', graph]);
    expect(real.code, real.stderr).toBe(0);
    expect(await readFile(join(dir, 'made'), 'utf8')).toBe('hi\n');
  });

  it('takes --converged-timeout-no-exit alone (or =true, =false) as mgmt does, warning that it does nothing without --converged-timeout N (QA: refused with exit 2)', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const warning = '--converged-timeout-no-exit has no effect without --converged-timeout N, as in mgmt';
    for (const written of ['--converged-timeout-no-exit', '--converged-timeout-no-exit=true']) {
      const alone = await runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', written, graph]);
      expect(alone.code, alone.stderr).toBe(0);
      expect(alone.stderr).toContain(`converge: warning: ${warning}`);
    }
    expect(await readFile(join(dir, 'made'), 'utf8')).toBe('hi\n');
    const off = await runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--converged-timeout-no-exit=false', graph]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toContain(warning);
    // With --converged-timeout it keeps the run going, as before, with no word.
    const kept = startCli(['run', '--tmp-prefix', '--converged-timeout=0', '--converged-timeout-no-exit=true', graph]);
    await kept.waitFor(/converged: every resource is as the graph says/);
    expect(kept.stderr).not.toContain(warning);
    expect(kept.child.exitCode).toBeNull();
  });

  it('--max-runtime N stops a watching run after N seconds, as SIGTERM would', async () => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const started = Date.now();
    const watching = await runCli(['run', '--tmp-prefix', '--max-runtime', '2', graph]);
    const took = Date.now() - started;
    expect(watching.code, watching.stderr).toBe(0);
    expect(watching.stderr).toContain('--max-runtime 2: ran its time; stopping as SIGTERM would');
    expect(took).toBeGreaterThanOrEqual(2_000);
    expect(took).toBeLessThan(12_000);
    expect(await readFile(join(dir, 'made'), 'utf8')).toBe('hi\n');
    // With --converged-exit and the quiet time not over when the time runs out: as a SIGTERM then, exit 0 only
    // because every resource had converged (one failed or still pending would make it 1).
    const early = await runCli(['run', '--tmp-prefix', '--converged-timeout', '600', '--max-runtime=1', graph]);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stderr).toContain('stopped; every resource had converged by then');
    const negative = await runCli(['run', '--tmp-prefix', '--max-runtime=-1', graph]);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('0 (no limit)');
  });

  it('--converged-status-file appends true and false as the converged state changes: a drift makes it false, its repair true again', async () => {
    const dir = await makeTempDir();
    const managed = join(dir, 'made');
    const status = join(dir, 'status');
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const cli = startCli(['run', '--tmp-prefix', '--converged-timeout=1', '--converged-timeout-no-exit', '--converged-status-file', status, graph]);
    // Created before anything runs; nothing written until the first convergence (mgmt starts at not converged).
    await until(async () => (await readOrEmpty(status)) === 'true\n', 'the first convergence in the status file');
    await writeFile(managed, 'drifted\n');
    await until(async () => (await readOrEmpty(status)) === 'true\nfalse\ntrue\n', 'false then true after the drift');
    expect(await readFile(managed, 'utf8')).toBe('hi\n');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
    // Stopping is no change of state: nothing more is written.
    expect(await readFile(status, 'utf8')).toBe('true\nfalse\ntrue\n');
  });

  it('--graphviz FILE writes the running graph in dot at the start and again after a reload', async () => {
    const dir = await makeTempDir();
    const dot = join(dir, 'g.dot');
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['one']));
    const cli = startCli(['run', '--tmp-prefix', '--graphviz', dot, graph]);
    await until(async () => (await readOrEmpty(dot)).includes(`"file[${join(dir, 'one')}]"`), 'the graph in dot');
    expect(await readFile(dot, 'utf8')).toMatch(/^digraph "g" \{/);
    await writeFile(graph, fileGraph(dir, ['one', 'two']));
    await until(async () => (await readOrEmpty(dot)).includes(`"file[${join(dir, 'two')}]"`), 'the reloaded graph in dot');
    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(0);
  });

  it('refuses, with what to do instead, the flags asking for what converge cannot do, and applies nothing', async () => {
    const dir = await makeTempDir();
    const managed = join(dir, 'made');
    const graph = await writeGraph(dir, 'g.yaml', fileGraph(dir, ['made']));
    const refused: Array<[readonly string[], string]> = [
      [['--graphviz-filter', 'dot', '--graphviz', join(dir, 'g.dot')], 'converge runs no Graphviz program'],
      [['--client-urls', 'http://127.0.0.1:2379'], 'join it with --seeds URL'],
      [['--server-urls=http://127.0.0.1:2380'], 'starts no etcd server of its own'],
      [['--ideal-cluster-size', '3'], 'starts no etcd server of its own'],
      [['--ssh-url', 'me@host:22'], 'does not reach etcd over SSH'],
      [['--pgp-key-path', join(dir, 'key')], 'no PGP keys'],
      [['--no-autoedges'], 'meta: {autoedge: false}'],
      [['--allow-tmp-prefix'], '--tmp-prefix'],
      [['--prometheus-listen', '127.0.0.1:9233'], 'add --prometheus'],
      [['--prometheus', '127.0.0.1:9100', '--prometheus-listen', '127.0.0.1:9233'], 'both give an address: give one'],
      [['--converged-status-file', join(dir, 'status'), '--converged-timeout=-1'], '--converged-status-file needs a converger timeout'],
      [['--no-network', '--seeds', 'http://127.0.0.1:1'], '--no-network runs one host on its own'],
      [['--converged-status-file', dir], 'cannot write it'],
      [['--graphviz', join(dir, 'missing', 'g.dot')], 'cannot write it'],
    ];
    // A few at a time: one after the other they took 17 s (over 30 s on a
    // loaded machine), all 13 at once starve each other on two cores.
    for (let first = 0; first < refused.length; first += 4) {
      const batch = refused.slice(first, first + 4);
      const results = await Promise.all(
        batch.map(([flags]) => {
          const once = flags.some((flag) => flag.startsWith('--converged-timeout')) ? [] : ['--converged-timeout=0'];
          return runCli(['run', '--tmp-prefix', ...once, ...flags, graph]);
        }),
      );
      batch.forEach(([flags, hint], index) => {
        const result = results[index]!;
        expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr, flags.join(' ')).toContain(hint);
      });
    }
    const lang = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', 'lang', join(dir, 'main.mcl')]);
    expect(lang.code).toBe(2);
    expect(lang.stderr).toContain("mgmt's lang frontend is not supported");
    // QA: `run yaml` without its file was told "yaml does not exist".
    const bare = await runCli(['run', '--tmp-prefix', '--converged-timeout=0', 'yaml'], { cwd: dir });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('`run yaml` needs the graph file after it: run yaml FILE');
    await expect(stat(managed)).rejects.toThrow();
    await expect(stat(join(dir, 'status'))).rejects.toThrow();
  }, 90_000);
});

describe("exec params that do nothing where they stand, as mgmt's templates write them", () => {
  it('runs an exec with a shell or cwd for a guard it does not have, warning at each (QA: refused with exit 2 where mgmt runs it)', async () => {
    const dir = await makeTempDir();
    const out = join(dir, 'ran');
    const graph = await writeGraph(
      dir,
      'shells.yaml',
      `graph: shells\nresources:\n  exec:\n  - name: s\n    cmd: "touch ${out}"\n    shell: /bin/sh\n    watchshell: /bin/sh\n    ifshell: /bin/sh\n    donecwd: /tmp\n`,
    );
    const result = await runCli(['run', ...ONCE, graph]);
    expect(result.code, result.stderr).toBe(0);
    await stat(out);
    expect(result.stderr).toContain("shells.yaml:7:17: warning: exec[s]: param 'watchshell': watchshell has no effect without watchcmd");
    expect(result.stderr).toContain("shells.yaml:8:14: warning: exec[s]: param 'ifshell': ifshell has no effect without ifcmd");
    expect(result.stderr).toContain("shells.yaml:9:14: warning: exec[s]: param 'donecwd': donecwd has no effect without donecmd");
  });
});

describe("mgmt's --prometheus switch and --prometheus-listen (docs/prometheus.md: `mgmt run --prometheus --prometheus-listen :45001`)", () => {
  const graphIn = (dir: string): Promise<string> => writeGraph(dir, 'g.yaml', 'graph: g\nresources:\n  noop:\n    - name: a\n');

  /** Starts a run that goes on with `flags` before (and `after`) its graph, and scrapes the metrics address it announces. */
  async function scraped(flags: readonly string[], after: readonly string[] = []): Promise<string> {
    const graph = await graphIn(await makeTempDir());
    const cli = startCli(['run', '--tmp-prefix', '--converger-timeout=0', ...flags, graph, ...after]);
    const url = await announcedUrl(cli, 'metrics');
    let text = '';
    await until(async () => {
      text = await (await fetch(url)).text();
      return text.includes('converge_converged 1');
    }, 'the metrics to say converged');
    cli.child.kill('SIGTERM');
    expect((await cli.result).code).toBe(0);
    return url;
  }

  it('--prometheus --prometheus-listen ADDRESS serves there (QA: the listen flag was taken as --prometheus\'s value)', async () => {
    expect(await scraped(['--prometheus', '--prometheus-listen', '127.0.0.1:0'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // Its flags in either order, the listen address first too.
    expect(await scraped(['--prometheus-listen=127.0.0.1:0', '--prometheus'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  }, 60_000);

  it("a bare --prometheus before the graph serves at mgmt's default 127.0.0.1:9233, leaving the graph a graph (QA: it was read as the address)", async () => {
    expect(await scraped(['--prometheus'])).toBe('http://127.0.0.1:9233/metrics');
  }, 30_000);

  it('takes --prometheus=true, --prometheus after the graph, --prometheus=false, and still converge\'s --prometheus PORT', async () => {
    expect(await scraped(['--prometheus=true'])).toBe('http://127.0.0.1:9233/metrics');
    expect(await scraped([], ['--prometheus'])).toBe('http://127.0.0.1:9233/metrics');
    expect(await scraped(['--prometheus', '0'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const graph = await graphIn(await makeTempDir());
    const off = await runCli(['run', ...ONCE, '--prometheus=false', '--prometheus-listen', '127.0.0.1:0', graph]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toContain('metrics at');
  }, 90_000);

  it('refuses a value that is neither an address nor true/false, saying both forms (exit 2)', async () => {
    const graph = await graphIn(await makeTempDir());
    const result = await runCli(['run', ...ONCE, '--prometheus=yes', graph]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("expected HOST:PORT (e.g. 127.0.0.1:9090), [::1]:PORT, :PORT (every interface) or PORT (loopback); port 0 picks a free one. Alone, or as --prometheus=true or =false, it is mgmt's switch.");
  });
});
