import Docker from 'dockerode';

/** The private test daemon started by tools/ci/setup/30-dockerd.sh. */
export const SOCKET = process.env['CONVERGE_TEST_DOCKER_SOCKET'] ?? '/run/converge-test/docker.sock';
export const HOST = `unix://${SOCKET}`;
/** The offline image that script imports from busybox-static. */
export const IMAGE = 'converge-test/busybox:1';
/** Runs until stopped, and exits at once on SIGTERM (a shell as pid 1 ignores it otherwise). */
export const LONG_RUNNING = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

export const docker = new Docker({ socketPath: SOCKET });

async function daemonProblem(): Promise<string | undefined> {
  try {
    await docker.ping();
  } catch (error) {
    return `no Docker engine answers on ${SOCKET} (${(error as Error).message})`;
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    return `the test image ${IMAGE} is missing`;
  }
  return undefined;
}

const problem = await daemonProblem();
if (problem && process.env['CI'] === 'true') {
  throw new Error(`${problem}: run tools/ci/setup-system.sh (CI must not skip these tests)`);
}
if (problem) console.warn(`res-docker: skipping tests against the real engine: ${problem}; run tools/ci/setup/30-dockerd.sh`);

/** False when the test daemon is absent on a machine outside CI: tests skip. */
export const dockerReady = problem === undefined;

let counter = 0;
const created = new Set<string>();

/** A container name unique to this test run, removed by `removeTestContainers`. */
export function containerName(label: string): string {
  const name = `converge-test-${label}-${process.pid}-${++counter}`;
  created.add(name);
  return name;
}

/** Removes every container named by `containerName` (force: running ones too). */
export async function removeTestContainers(): Promise<void> {
  await Promise.all(
    [...created].map(async (name) => {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
      created.delete(name);
    }),
  );
}

/** The container's inspect data, or undefined when it does not exist. */
export async function inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
}

/** Creates a container directly through the engine, as someone outside converge would. */
export async function createByHand(name: string, options: Partial<Docker.ContainerCreateOptions> = {}): Promise<string> {
  const container = await docker.createContainer({ name, Image: IMAGE, Cmd: LONG_RUNNING, ...options });
  return container.id;
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many times the engine started the container since `sinceSeconds`, from its own event log. */
export async function startsSince(name: string, sinceSeconds: number): Promise<number> {
  const stream = await docker.getEvents({
    since: sinceSeconds,
    until: Math.ceil(Date.now() / 1000),
    filters: JSON.stringify({ type: ['container'], container: [name], event: ['start'] }),
  } as Parameters<typeof docker.getEvents>[0] & object);
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  return text.split('\n').filter((line) => line.trim() !== '').length;
}
