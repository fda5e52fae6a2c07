import { readFileSync } from 'node:fs';
import { isPluginDefinition } from '@converge/engine-api';
import type { AutoEdgeCandidate } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import plugin, { dockerContainerResource, dockerImageResource, normalizeImageRef } from '../src/index.js';
import { engineKey } from '../src/connection.js';
import type { ContainerParams } from '../src/index.js';

function candidates(params: ContainerParams): readonly AutoEdgeCandidate[] {
  const step = dockerContainerResource.edgeable!.autoEdges(params, 'web').next();
  return step.done ? [] : step.value;
}

describe('the plugin', () => {
  it('default-exports both kinds, matching package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      converge: { kinds: string[] };
    };
    expect(isPluginDefinition(plugin)).toBe(true);
    expect(plugin.name).toBe(manifest.name);
    expect(plugin.resources.map((resource) => resource.kind)).toEqual(manifest.converge.kinds);
  });
});

describe('image references', () => {
  it('gets an explicit tag unless it has one or a digest; a registry port is not a tag', () => {
    expect(normalizeImageRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeImageRef('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(normalizeImageRef('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeImageRef('localhost:5000/app:2')).toBe('localhost:5000/app:2');
    expect(normalizeImageRef('localhost/app')).toBe('localhost/app:latest');
    expect(normalizeImageRef('app@sha256:abc')).toBe('docker.io/library/app@sha256:abc');
    expect(normalizeImageRef('app:1@sha256:abc')).toBe('docker.io/library/app:1@sha256:abc');
  });

  it("names Docker Hub's images as Docker does, however written (QA: docker.io/qa2/img:latest and qa2/img were two images)", () => {
    for (const spelling of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox', 'index.docker.io/library/busybox:latest', 'docker.io/busybox']) {
      expect(normalizeImageRef(spelling), spelling).toBe('docker.io/library/busybox:latest');
    }
    for (const spelling of ['qa2/img', 'docker.io/qa2/img:latest', 'registry-1.docker.io/qa2/img']) {
      expect(normalizeImageRef(spelling), spelling).toBe('docker.io/qa2/img:latest');
    }
    // A first part without a dot, a colon or localhost is a Docker Hub user, not a registry.
    expect(normalizeImageRef('quay.io/team/app')).toBe('quay.io/team/app:latest');
    expect(normalizeImageRef('team/app')).not.toBe(normalizeImageRef('quay.io/team/app'));
  });
});

describe('autoedges', () => {
  it('puts the image before the container, and after it when the container is removed', () => {
    const here = engineKey(undefined);
    expect(dockerImageResource.edgeable!.uids({ state: 'exists' }, 'busybox')).toEqual([{ kind: 'docker:image', key: `docker.io/library/busybox:latest on ${here}` }]);
    expect(dockerContainerResource.edgeable!.uids({ image: 'busybox', state: 'running' }, 'web')).toEqual([
      { kind: 'docker:container', key: 'web' },
    ]);
    expect(candidates({ image: 'busybox', state: 'running' })).toEqual([{ kind: 'docker:image', key: `docker.io/library/busybox:latest on ${here}`, reversed: false }]);
    expect(candidates({ image: 'busybox:1', state: 'removed' })).toEqual([{ kind: 'docker:image', key: `docker.io/library/busybox:1 on ${here}`, reversed: true }]);
    // Only on the same engine (QA: an image on another engine was put before this container).
    expect(candidates({ image: 'busybox', state: 'running', host: 'unix:///tmp/other.sock' })).not.toEqual(candidates({ image: 'busybox', state: 'running' }));
    expect(candidates({ image: 'busybox', state: 'running', host: 'unix:///tmp/other.sock' })[0]?.key).toBe(
      dockerImageResource.edgeable!.uids({ state: 'exists', host: '/tmp/other.sock' }, 'busybox')[0]?.key,
    );
    // Written another way, the same image (QA: docker.io/qa2/app:latest got no edge from the image qa2/app).
    expect(candidates({ image: 'docker.io/qa2/app:latest', state: 'running' })).toEqual(candidates({ image: 'qa2/app', state: 'running' }));
  });
});

describe('validate', () => {
  const containerIssues = (params: ContainerParams) =>
    (dockerContainerResource.validate?.(params) ?? []).map((issue) => `${issue.param}: ${issue.message}`);

  it('accepts a full container', () => {
    expect(
      containerIssues({
        image: 'busybox',
        state: 'running',
        env: { A: '1' },
        ports: { tcp: { '8080': 80 } },
        host: '/run/docker.sock',
        apiversion: 'v1.41',
      }),
    ).toEqual([]);
  });

  it('checks the names of containers and images, and the image a container uses, as Docker would', () => {
    const named = (name: string) => (dockerContainerResource.validate?.({ image: 'busybox', state: 'running' }, name) ?? []).map((issue) => issue.message);
    expect(named('web-1.blue_x')).toEqual([]);
    expect(named('bad name/with slash')).toEqual(['the name "bad name/with slash" is not a container name']);
    expect(named('x')).toEqual(['the name "x" is not a container name']);
    const image = (name: string) => (dockerImageResource.validate?.({ state: 'exists' }, name) ?? []).map((issue) => issue.message);
    for (const good of ['busybox', 'busybox:1.36', 'docker.io/library/nginx:1.27', 'localhost:5000/team/app@sha256:' + 'a'.repeat(64), 'converge-test/busybox:1']) {
      expect(image(good), good).toEqual([]);
    }
    expect(image('Busybox')).toEqual(['the name "Busybox" is not an image reference']);
    expect(image('busy box')).toHaveLength(1);
    expect(containerIssues({ image: 'Nginx:latest', state: 'running' })).toEqual(['image: "Nginx:latest" is not an image reference']);
    // One image spelled two ways, on one engine, is one identity.
    const identity = dockerImageResource.identity;
    expect(identity?.({ state: 'exists' }, 'qa/img')).toBe(identity?.({ state: 'absent' }, 'qa/img:latest'));
    expect(identity?.({ state: 'exists' }, 'qa/img')).toBe(identity?.({ state: 'absent' }, 'docker.io/qa/img:latest'));
    expect(identity?.({ state: 'exists' }, 'busybox')).toBe(identity?.({ state: 'absent' }, 'index.docker.io/library/busybox'));
    expect(identity?.({ state: 'exists', host: '/a.sock' }, 'qa/img')).not.toBe(identity?.({ state: 'exists', host: '/b.sock' }, 'qa/img'));
    // One engine written two ways (found by QA: two such resources fought over the image and the run exited 0).
    expect(identity?.({ state: 'absent', host: 'unix:///run/x/docker.sock' }, 'qa/img')).toBe(identity?.({ state: 'exists', host: '/run/x//docker.sock' }, 'qa/img:latest'));
    expect(identity?.({ state: 'absent', host: 'tcp://LocalHost:2375' }, 'qa/img')).toBe(identity?.({ state: 'exists', host: 'http://localhost:2375/' }, 'qa/img'));
    // No host is DOCKER_HOST or the default socket.
    expect(identity?.({ state: 'absent' }, 'qa/img')).toBe(identity?.({ state: 'exists', host: process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock' }, 'qa/img'));
  });

  it('rejects bad env, ports, host, apiversion and pointless force', () => {
    expect(
      containerIssues({
        image: 'busy box',
        state: 'removed',
        force: true,
        env: ['A=1', 'NOVALUE', '1BAD=x', 'A=2'],
        ports: { udp: { '70000': 53 } },
        host: 'ssh://box',
        apiversion: '1.41',
      }),
    ).toEqual([
      'host: "ssh://box" is not a Docker host',
      'apiversion: "1.41" is not an API version',
      'image: "busy box" contains whitespace',
      'env: entry 2 is not KEY=value',
      'env: "1BAD" is not a valid environment variable name',
      'env: A is set twice',
      'ports: host port 70000 (udp) is not a port number from 1 to 65535, alone or after an address',
      'force: force has no effect when state is removed',
    ]);
    expect(dockerImageResource.validate?.({ state: 'exists', host: 'unix://relative' })).toHaveLength(1);
  });

  it('names the entry of env or ports at fault, so that each is told at its own line (QA: all at the first entry)', () => {
    const at = (params: Partial<ContainerParams>) =>
      (dockerContainerResource.validate?.({ image: 'busybox', state: 'running', ...params }) ?? []).map((issue) => [issue.param, issue.at]);
    expect(at({ env: ['A=1', 'NOVALUE', '9BAD=5', 'A=4'] })).toEqual([['env', [1]], ['env', [2]], ['env', [3]]]);
    expect(at({ env: { A: '1', '9BAD': '5' } })).toEqual([['env', ['9BAD']]]);
    expect(at({ ports: { tcp: { '8080': 80 }, udp: { '70000': 53 } } })).toEqual([['ports', ['udp', '70000']]]);
  });

  it('takes an address before a host port, and refuses one that is not an address', () => {
    const issues = (tcp: Record<string, number>) =>
      (dockerContainerResource.validate?.({ image: 'busybox', state: 'running', ports: { tcp } }) ?? []).map((issue) => issue.message);
    expect(issues({ '8080': 80, '127.0.0.1:8081': 81, '[::1]:8082': 82 })).toEqual([]);
    expect(issues({ '300.0.0.1:8080': 80 })).toEqual(['host port 300.0.0.1:8080 (tcp) is not a port number from 1 to 65535, alone or after an address']);
    expect(issues({ '[127.0.0.1]:8080': 80, '::1:8080': 80 })).toHaveLength(2);
  });
});

describe('graph check', () => {
  const container = (name: string, params: Partial<ContainerParams> & { image: string }) => ({ kind: 'docker:container', name, params: { state: 'running', ...params } });
  const image = (name: string, params: { state: 'exists' | 'absent'; host?: string }) => ({ kind: 'docker:image', name, params });
  const issuesOf = (graph: ReturnType<typeof container | typeof image>[]) => {
    const images = graph.filter((resource) => resource.kind === 'docker:image') as ReturnType<typeof image>[];
    return (dockerImageResource.validateGraph?.(images, graph) ?? []).map((issue) => `${images[issue.resource]?.name} ${issue.param}: ${issue.message}`);
  };

  it("refuses an image removed that a container of the graph is made from, however either is spelled (QA: the run removed it, then the container failed for ever with 'image ... is absent')", () => {
    expect(issuesOf([container('c', { image: 'converge-test/busybox:1' }), image('docker.io/converge-test/busybox:1', { state: 'absent' })])).toEqual([
      'docker.io/converge-test/busybox:1 state: removes image docker.io/converge-test/busybox:1, which docker:container[c] is made from: the two would undo each other forever',
    ]);
    // busybox is docker.io/library/busybox:latest; a stopped container needs its image too.
    expect(
      issuesOf([container('a', { image: 'busybox', state: 'stopped' }), container('b', { image: 'docker.io/library/busybox:latest' }), image('library/busybox', { state: 'absent' })]),
    ).toEqual(['library/busybox state: removes image docker.io/library/busybox:latest, which docker:container[a], docker:container[b] are made from: the two would undo each other forever']);
  });

  it('accepts an image removed after its container is, another tag, another engine, or an image kept', () => {
    expect(issuesOf([container('c', { image: 'busybox', state: 'removed' }), image('busybox', { state: 'absent' })])).toEqual([]);
    expect(issuesOf([container('c', { image: 'busybox:1.36' }), image('busybox', { state: 'absent' })])).toEqual([]);
    expect(issuesOf([container('c', { image: 'busybox', host: 'unix:///run/a.sock' }), image('busybox', { state: 'absent', host: 'unix:///run/b.sock' })])).toEqual([]);
    expect(issuesOf([container('c', { image: 'busybox' }), image('busybox', { state: 'exists' })])).toEqual([]);
    // An older engine gives no graph: nothing to compare with.
    expect(dockerImageResource.validateGraph?.([{ name: 'busybox', params: { state: 'absent' } }])).toEqual([]);
  });
});
