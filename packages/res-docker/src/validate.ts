import type { ValidationIssue } from '@converge/engine-api';
import { parseDockerHost } from './connection.js';
import type { ContainerParams, ImageParams } from './params.js';
import { hostBinding } from './port-key.js';

const API_VERSION = /^v[1-9]\.[0-9]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function connectionIssues(params: Readonly<{ host?: string; apiversion?: string }>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (params.host !== undefined && !parseDockerHost(params.host)) {
    issues.push({
      param: 'host',
      message: `${JSON.stringify(params.host)} is not a Docker host`,
      hint: 'use unix:///path/to/docker.sock, tcp://host:port or an absolute socket path (TLS is not supported)',
    });
  }
  if (params.apiversion !== undefined && !API_VERSION.test(params.apiversion)) {
    issues.push({ param: 'apiversion', message: `${JSON.stringify(params.apiversion)} is not an API version`, hint: 'write it like v1.41' });
  }
  return issues;
}

export function validateContainer(params: Readonly<ContainerParams>, name?: string): ValidationIssue[] {
  const issues = connectionIssues(params);
  if (name !== undefined && !CONTAINER_NAME.test(name)) {
    issues.push({
      message: `the name ${JSON.stringify(name)} is not a container name`,
      hint: 'a container name has two or more of a-z, A-Z, 0-9, _ . - and starts with a letter or digit',
    });
  }
  if (params.image.trim() !== params.image || /\s/.test(params.image)) {
    issues.push({ param: 'image', message: `${JSON.stringify(params.image)} contains whitespace`, hint: 'write the image reference without spaces, e.g. docker.io/library/nginx:1.27' });
  } else if (!isImageReference(params.image)) {
    issues.push({ param: 'image', message: `${JSON.stringify(params.image)} is not an image reference`, hint: 'write [registry[:port]/]path[:tag][@sha256:digest], the path in lower case' });
  }
  // Each entry with where it is: its index in the list form, its name in the map form (told at its own line).
  const entries: Array<{ at: number | string; name: string | undefined }> = Array.isArray(params.env)
    ? params.env.map((entry, index) => ({ at: index, name: entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : undefined }))
    : Object.keys(params.env ?? {}).map((name) => ({ at: name, name }));
  const seen = new Set<string>();
  entries.forEach(({ at, name }, index) => {
    if (name === undefined) {
      // Not quoted: an entry without its name may well be a bare secret.
      issues.push({ param: 'env', at: [at], message: `entry ${index + 1} is not KEY=value`, hint: 'write each entry as NAME=value' });
    } else if (!ENV_NAME.test(name)) {
      issues.push({ param: 'env', at: [at], message: `${JSON.stringify(name)} is not a valid environment variable name`, hint: 'start the name with a letter or _, then letters, digits or _ (NAME=value)' });
    } else if (seen.has(name)) {
      // The engine keeps the last, and reports both: compared with the params, the container would never match.
      issues.push({ param: 'env', at: [at], message: `${name} is set twice`, hint: 'keep one entry per variable' });
    }
    if (name !== undefined) seen.add(name);
  });
  // Another protocol than tcp, udp or sctp is refused by the schema, as an unknown key, before validate runs.
  for (const [protocol, map] of Object.entries(params.ports ?? {})) {
    for (const hostPort of Object.keys(map ?? {})) {
      if (hostBinding(hostPort) === undefined) {
        issues.push({
          param: 'ports',
          at: [protocol, hostPort],
          message: `host port ${hostPort} (${protocol}) is not a port number from 1 to 65535, alone or after an address`,
          hint: 'map a container port to a host port from 1 to 65535, or to ADDRESS:PORT to listen on one address only (127.0.0.1:8080, [::1]:8080)',
        });
      }
    }
  }
  if (params.force && params.state === 'removed') {
    issues.push({ param: 'force', message: 'force has no effect when state is removed', hint: 'remove force, or set state: running or stopped' });
  }
  return issues;
}

export function validateImage(params: Readonly<ImageParams>, name?: string): ValidationIssue[] {
  const issues = connectionIssues(params);
  if (name !== undefined && !isImageReference(name)) {
    issues.push({
      message: `the name ${JSON.stringify(name)} is not an image reference`,
      hint: 'name the image as [registry[:port]/]path[:tag][@sha256:digest], the path in lower case (busybox, docker.io/library/nginx:1.27)',
    });
  }
  return issues;
}

// The reference grammar of Docker's distribution spec: an optional registry
// host (with a port), lower-case path components joined by . _ __ or -, a
// tag of up to 128 characters, a digest.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?';
const IMAGE_REFERENCE = new RegExp(`^${REGISTRY}${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

function isImageReference(name: string): boolean {
  return IMAGE_REFERENCE.test(name);
}

/** Docker's rule for container names. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
