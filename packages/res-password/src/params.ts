import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';

/** The params of a `password` resource; names follow mgmt's YAML graphs. */
export const PasswordParamsSchema = Type.Object(
  {
    length: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 64,
      description: 'Number of characters, each drawn uniformly from A-Z, a-z and 0-9.',
    }),
    saved: Type.Boolean({
      default: false,
      description: 'Keep the password (in the clear, mode 0600) in the resource’s var dir so it survives restarts; otherwise it lives in memory only.',
    }),
    check_recovery: Type.Boolean({
      default: false,
      description: 'When the saved password fails its integrity check (edited or corrupted), generate a new one instead of failing.',
    }),
  },
  { additionalProperties: false },
);

export type PasswordParams = Static<typeof PasswordParamsSchema>;

export const PasswordSendsSchema = Type.Object({
  // secret: the engine masks it in logs and errors of every resource that receives it.
  password: Type.String({ description: 'The current password.', secret: true }),
});

export type PasswordSends = Static<typeof PasswordSendsSchema>;
