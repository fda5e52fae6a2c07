import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, IMAGE, LONG_RUNNING, containerName, createByHand, docker, dockerReady, inspect, removeTestContainers, startsSince } from './docker-env.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ONCE = ['--tmp-prefix', '--converger-timeout=0', '--converged-exit'];

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI from the repository root, as a user would. */
/** `converge run FLAGS GRAPH` to its end (a one-shot run unless other flags are given). */
async function converge(graphFile: string, flags: readonly string[] = ONCE): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['packages/cli/dist/bin.js', 'run', ...flags, graphFile],
      { cwd: REPO_ROOT, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const graph = (image: string, name: string, imageState: string, containerState: string): string => `graph: docker-e2e
resources:
  docker:image:
    - name: ${image}
      state: ${imageState}
      host: ${HOST}
  docker:container:
    - name: ${name}
      image: ${image}
      state: ${containerState}
      host: ${HOST}
      cmd: ${JSON.stringify(LONG_RUNNING)}
      env:
        ROLE: e2e
`;

let dir = '';
// An image only this test uses (its own id), so removing it conflicts with
// any container still made from it: the order of the two resources shows.
const image = `converge-test/e2e:${process.pid}`;

describe.skipIf(!dockerReady)('the converge CLI with a YAML graph', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'res-docker-cli-'));
    const builder = await createByHand(containerName('e2e-builder'), { Cmd: ['true'] });
    await docker.getContainer(builder).commit({ repo: 'converge-test/e2e', tag: String(process.pid), changes: 'ENV BUILT_FOR=e2e' });
  });

  afterAll(async () => {
    await removeTestContainers();
    await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the image before the container, then removes the container before the image', async () => {
    const name = containerName('e2e');
    const up = join(dir, 'up.yaml');
    await writeFile(up, graph(image, name, 'exists', 'running'));
    const first = await converge(up);
    expect(first.code, first.stderr).toBe(0);
    const imageLine = first.stdout.indexOf(`converged: docker:image[${image}]`);
    const containerLine = first.stdout.indexOf(`changed: docker:container[${name}]`);
    expect(imageLine, first.stdout).toBeGreaterThanOrEqual(0);
    expect(containerLine).toBeGreaterThan(imageLine);
    const info = await inspect(name);
    expect(info?.State.Status).toBe('running');
    expect(info?.Config.Env).toContain('ROLE=e2e');

    const down = join(dir, 'down.yaml');
    await writeFile(down, graph(image, name, 'absent', 'removed'));
    const second = await converge(down);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    expect(second.stdout.indexOf(`changed: docker:container[${name}]`)).toBeLessThan(second.stdout.indexOf(`changed: docker:image[${image}]`));
    expect(await inspect(name)).toBeUndefined();
    await expect(docker.getImage(image).inspect()).rejects.toThrow(/no such image/i);
  });

  it('exits 1 with an error naming the host when the engine cannot be reached', async () => {
    const file = join(dir, 'unreachable.yaml');
    await writeFile(
      file,
      `graph: unreachable
resources:
  docker:container:
    - name: ${containerName('e2e-unreachable')}
      image: ${IMAGE}
      host: unix:///nonexistent.sock
`,
    );
    const started = Date.now();
    const result = await converge(file);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(`${result.stdout}${result.stderr}`).toMatch(/failed on the Docker engine at unix:\/\/\/nonexistent\.sock: connect ENOENT/);
  });

  it('exits 2 at load, changing nothing, for an unknown port protocol', async () => {
    const file = join(dir, 'protocol.yaml');
    const name = containerName('e2e-protocol');
    await writeFile(
      file,
      `graph: protocol
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      host: ${HOST}
      ports: {tcpp: {18080: 80}}
`,
    );
    const result = await converge(file);
    expect(result.code).toBe(2);
    // Refused by the schema, as an unknown key of ports (the engine's nested-keys check).
    expect(result.stderr).toMatch(/protocol\.yaml:7:15: docker:container\[[^\]]+\]: param 'ports': unknown key 'tcpp'\n  hint: did you mean 'tcp'\?/);
    expect(await inspect(name)).toBeUndefined();
  });

  it("exits 2 at load, at the image's state, for an image removed that a container of the graph is made from (QA: it ran, removed the image, and failed for ever)", async () => {
    const file = join(dir, 'image-absent.yaml');
    const name = containerName('e2e-image-absent');
    await writeFile(
      file,
      `graph: image-absent
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      cmd: [sleep, "3600"]
      host: ${HOST}
  docker:image:
    - name: docker.io/${IMAGE}
      host: ${HOST}
      state: absent
`,
    );
    const result = await converge(file);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(2);
    expect(result.stderr).toContain(
      `image-absent.yaml:11:14: docker:image[docker.io/${IMAGE}]: param 'state': removes image docker.io/${IMAGE}, which docker:container[${name}] is made from: the two would undo each other forever`,
    );
    expect(await inspect(name)).toBeUndefined();
    expect(await docker.getImage(IMAGE).inspect()).toBeDefined();
  });

  it('restarts a container that keeps exiting soon after its start with a back-off, and warns once (QA: restarted every second, for ever)', async () => {
    const file = join(dir, 'flap.yaml');
    const name = containerName('e2e-flap');
    await writeFile(
      file,
      `graph: flap
resources:
  docker:container:
    - name: ${name}
      image: ${IMAGE}
      host: ${HOST}
      cmd: [sleep, "1"]
`,
    );
    const since = Math.floor(Date.now() / 1000) - 1;
    const { stderr } = await converge(file, ['--tmp-prefix', '--max-runtime', '10']);
    // Each run lasts about 1.1 s: started at 0 and again at once (~1.1 s), then after 1 s (~3.2 s), 2 s (~6.4 s), 4 s (~11.5 s).
    // Without the back-off: about nine.
    const starts = await startsSince(name, since);
    expect(starts, stderr).toBeGreaterThanOrEqual(3);
    expect(starts, stderr).toBeLessThanOrEqual(5);
    const told = stderr.split('\n').filter((line) => /WARN: .*keeps exiting soon after it starts/.test(line));
    expect(told, stderr).toHaveLength(1);
    expect(told[0]).toMatch(/WARN: docker:container\[.*\]: the container keeps exiting soon after it starts \(exit code 0 after 1(\.\d)? s\): it is started again after a back-off, 1 s now, doubling up to 60 s/);
    // While it waits it is not running, as the graph says it should be: failed, not converged (QA: a --converged-exit run exited 0).
    expect(stderr).toMatch(/ERROR: docker:container\[.*\]: .*the container keeps exiting soon after it starts \(last exit code 0\): it is not running/);

    const once = await converge(file, ['--tmp-prefix', '--converger-timeout=3', '--converged-exit']);
    expect(once.code).toBe(1);
  }, 90_000);

  it('exits 1 at once with the image error when a container’s image is missing', async () => {
    const file = join(dir, 'missing.yaml');
    const name = containerName('e2e-missing');
    await writeFile(
      file,
      `graph: missing
resources:
  docker:container:
    - name: ${name}
      image: converge-test/not-there:1
      host: ${HOST}
`,
    );
    const started = Date.now();
    const result = await converge(file);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(`${result.stdout}${result.stderr}`).toContain('image converge-test/not-there:1 is absent from the Docker engine');
  });

  it('fails in a dry run a container whose image is absent and that no docker:image of the graph pulls, as the real run does (QA: would change, exit 0)', async () => {
    const file = join(dir, 'dry-missing.yaml');
    const name = containerName('e2e-dry-missing');
    const absent = 'converge-test/not-there:1';
    await writeFile(file, `graph: x\nresources:\n  docker:container:\n    - {name: ${name}, image: ${absent}, host: ${HOST}, cmd: [sleep, "3600"]}\n`);
    for (const flags of [[...ONCE, '--noop'], ONCE]) {
      const result = await converge(file, flags);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stdout).toContain(`failed: docker:container[${name}]: image ${absent} is absent from the Docker engine at ${HOST}, so the container cannot be created`);
      expect(result.stdout).not.toContain('would change: docker:container');
    }
    expect(await inspect(name)).toBeUndefined();
  });

  it('counts in a dry run a container whose image a docker:image of the graph would pull as would change after it', async () => {
    const file = join(dir, 'dry-pulled.yaml');
    const name = containerName('e2e-dry-pulled');
    const absent = 'converge-test/not-there:1';
    await writeFile(file, graph(absent, name, 'exists', 'running'));
    const result = await converge(file, [...ONCE, '--noop']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`would change: docker:image[${absent}]`);
    expect(result.stdout).toContain(`would change: docker:container[${name}]`);
    expect(result.stderr).toContain(`docker:container[${name}]: would change after docker:image[${absent}] (noop; checked before it changes, it says: image ${absent} is absent`);
    expect(await inspect(name)).toBeUndefined();
  });
});
