import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, startCli } from './support/run-cli.js';

afterEach(() => killAll());

const cliVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

describe('converge usage', () => {
  it('prints the command and engine-api versions with --version', async () => {
    const result = await runCli(['--version']);

    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(new RegExp(`^converge ${cliVersion.replaceAll('.', '\\.')} \\(engine-api \\d+\\.\\d+\\.\\d+\\)$`));
  });

  it('prints help with examples and exit codes with --help', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('Exit codes:');
    expect(result.stdout).toMatch(/run \[options\] \[graph\]/);
  });

  it.each([
    ['no command at all', []],
    ['an unknown command', ['apply', 'examples/hello.yaml']],
    ['an unknown flag', ['run', '--bogus', 'examples/hello.yaml']],
    ['a missing graph argument', ['run', '--tmp-prefix']],
    ['a --sema that is not a number', ['run', '--sema', 'many', 'examples/hello.yaml']],
    ['a negative --converger-timeout other than -1', ['run', '--converger-timeout=-5', 'examples/hello.yaml']],
    // Longer than a Node timer can wait: it would fire at once.
    ['a --converger-timeout over 24.8 days', ['run', '--tmp-prefix', '--converged-exit', '--converger-timeout=3000000', 'examples/hello.yaml']],
    ['an unknown --log-level', ['run', '--log-level', 'loud', 'examples/hello.yaml']],
    ['--prefix together with --tmp-prefix', ['run', '--prefix', '/tmp/x', '--tmp-prefix', 'examples/hello.yaml']],
    ['a --prefix that is a regular file', ['run', '--prefix', 'package.json', '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']],
    ['an empty --prefix (an unset variable)', ['run', '--prefix', '', '--converger-timeout=0', '--converged-exit', 'examples/hello.yaml']],
    ['--converged-exit without a converger timeout', ['run', '--tmp-prefix', '--converged-exit', 'examples/hello.yaml']],
    ["mgmt's --converged-timeout with converge's own spelling too", ['run', '--tmp-prefix', '--converged-timeout=0', '--converger-timeout=1', 'examples/hello.yaml']],
    // Part of the cluster's keys: an empty one or one with a slash made another key's path (QA).
    ['an empty --hostname', ['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--hostname', '', 'examples/hello.yaml']],
    ['a --hostname with a slash', ['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--hostname', 'web/1', 'examples/hello.yaml']],
    ['a --hostname with a space', ['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--hostname', 'web 1', 'examples/hello.yaml']],
  ])('exits 2 on %s', async (_what, args) => {
    const result = await runCli(args);

    expect(result.code).toBe(2);
    expect(result.stderr.length).toBeGreaterThan(0);
    expect(result.stdout).not.toContain('converged:');
  });

  it.each([
    // gRPC could not parse these: exit 1 at the first call, with its DNS error (QA).
    ['http://127.0.0.1:23792/path', /'http:\/\/127\.0\.0\.1:23792\/path': an etcd client URL is http:\/\/HOST:PORT, without a path; e\.g\. http:\/\/127\.0\.0\.1:23792/],
    ['http://127.0.0.1:23792?x=1', /without a query; /],
    ['http://127.0.0.1:23792/a#b', /without a path or a fragment; /],
    ['http://user:secret@127.0.0.1:23792', /a user name or password in the URL is not supported/],
    // No flag gives certificates; Node warned of an IP address as a TLS server name (QA).
    ['https://127.0.0.1:23792', /'https:\/\/127\.0\.0\.1:23792': TLS is not supported \(converge has no flags for etcd's certificates\); give the member's http:\/\/ client URL/],
    ['ftp://127.0.0.1:23792', /expected an http:\/\/ etcd client URL/],
    // The etcd client dialled port 443 for a URL without a port (QA).
    ['http://127.0.0.1', /'http:\/\/127\.0\.0\.1': give the member's client port, e\.g\. http:\/\/127\.0\.0\.1:2379 \(etcd's default client port\)/],
  ])('exits 2 on --seeds=%s, saying why', async (seed, why) => {
    // The same parser reads --seeds for run, deploy and retire: each command is tried with one of the seeds.
    const others = [['run', '--tmp-prefix', 'examples/hello.yaml'], ['deploy', 'examples/hello.yaml'], ['retire', 'h1']];
    for (const args of [['status'], ...(seed.startsWith('https:') ? others : [])]) {
      const result = await runCli([...args, `--seeds=${seed}`]);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(why);
      expect(result.stderr).not.toMatch(/DEP0123|UNAVAILABLE/);
    }
  });

  it('takes a seed written with a trailing slash, as its http://HOST:PORT (QA: gRPC failed to parse it)', async () => {
    const result = await runCli(['status', '--seeds=http://127.0.0.1:1/,http://127.0.0.1:2'], { timeoutMs: 20_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('Failed to parse');
    expect(result.stderr).toMatch(/ECONNREFUSED|unreachable/);
  });

  it('takes a --hostname of letters, digits, dots, dashes and underscores', async () => {
    const result = await runCli(['run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', '--log-json', '--hostname', 'web-1.example_a', 'examples/hello.yaml']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"hostname":"web-1.example_a"');
  });

  it("takes mgmt's --converged-timeout N: exit once converged for N seconds, or keep running with --converged-timeout-no-exit", async () => {
    const once = await runCli(['run', '--tmp-prefix', '--converged-timeout', '0', 'examples/hello.yaml']);
    expect(once.code).toBe(0);
    expect(once.stderr).toContain('5 converged');

    const kept = startCli(['run', '--tmp-prefix', '--converged-timeout=0', '--converged-timeout-no-exit', 'examples/hello.yaml']);
    await kept.waitFor(/converged: every resource is as the graph says/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(kept.child.exitCode).toBeNull();
  });
});
