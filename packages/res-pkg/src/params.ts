import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';

const flag = (description: string) => Type.Optional(Type.Boolean({ description }));

/** The params of a `pkg` resource. Names follow mgmt's YAML graphs. */
export const PkgParamsSchema = Type.Object(
  {
    package: Type.String({ minLength: 1, description: 'The package name; defaults to the resource name.' }),
    state: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'installed (default), uninstalled, newest, or an exact version to install.',
      }),
    ),
    allowuntrusted: flag('Allow packages whose signature cannot be checked.'),
    allowdowngrade: flag('Allow installing an exact version older than the installed one.'),
    allownonfree: flag('Allow packages that are not free software.'),
    allowunsupported: flag('Allow packages that the distribution does not support.'),
  },
  { additionalProperties: false },
);

export type PkgParams = Static<typeof PkgParamsSchema>;

/** The states that name no version; any other state is an exact version. */
export const NAMED_STATES = ['installed', 'uninstalled', 'newest'] as const;
export type NamedState = (typeof NAMED_STATES)[number];

export function isNamedState(state: string): state is NamedState {
  return (NAMED_STATES as readonly string[]).includes(state);
}

/** The state a resource asks for, with its default applied. */
export function stateOf(params: Readonly<PkgParams>): string {
  return params.state ?? 'installed';
}
