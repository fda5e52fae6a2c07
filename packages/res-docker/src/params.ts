import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';
import { HOST_PORT_KEY } from './port-key.js';

const connectionParams = {
  host: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The Docker engine: unix:///path, tcp://host:port or an absolute socket path; defaults to DOCKER_HOST, then unix:///var/run/docker.sock.',
    }),
  ),
  apiversion: Type.Optional(
    Type.String({ description: 'Engine API version to speak, e.g. v1.41; defaults to the engine’s own.' }),
  ),
};

/** Host ports (as YAML map keys, so strings; an address may come first: `127.0.0.1:8080`) to container ports. */
const portMap = Type.Optional(
  Type.Record(Type.String({ pattern: HOST_PORT_KEY }), Type.Integer({ minimum: 1, maximum: 65535 })),
);

/**
 * The params of a `docker:container` resource; the container's name is the
 * resource's name. Names follow mgmt's YAML graphs, plus `host`.
 */
export const ContainerParamsSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('running'), Type.Literal('stopped'), Type.Literal('removed')], {
      default: 'running',
      description: 'running, stopped or removed.',
    }),
    image: Type.String({ minLength: 1, description: 'The image, as name, name:tag or name@digest.' }),
    cmd: Type.Optional(
      Type.Array(Type.String(), { description: 'The command and its arguments; defaults to the image’s CMD.' }),
    ),
    env: Type.Optional(
      Type.Union(
        [
          Type.Array(Type.String(), { description: 'KEY=value entries.' }),
          Type.Record(Type.String(), Type.String(), { description: 'KEY: value pairs.' }),
        ],
        { description: 'Environment variables added to the image’s, as KEY=value entries or a map.' },
      ),
    ),
    ports: Type.Optional(
      Type.Object(
        { tcp: portMap, udp: portMap, sctp: portMap },
        { additionalProperties: false, description: 'Port bindings by protocol: {tcp: {HOSTPORT: CONTAINERPORT}}.' },
      ),
    ),
    force: Type.Optional(
      Type.Boolean({
        description: 'Remove and recreate the container when its image or config differs; otherwise that is an error.',
      }),
    ),
    ...connectionParams,
  },
  { additionalProperties: false },
);

export type ContainerParams = Static<typeof ContainerParamsSchema>;

/** The params of a `docker:image` resource; the image reference is the resource's name. */
export const ImageParamsSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('exists'), Type.Literal('absent')], {
      default: 'exists',
      description: 'exists (pulled when missing) or absent (removed).',
    }),
    ...connectionParams,
  },
  { additionalProperties: false },
);

export type ImageParams = Static<typeof ImageParamsSchema>;
