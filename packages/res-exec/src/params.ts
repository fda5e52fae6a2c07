import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';

const optionalString = (description: string) => Type.Optional(Type.String({ description }));

/**
 * The params of an `exec` resource. Names follow mgmt's YAML graphs; every
 * command param has a matching `*shell` and `*cwd`.
 */
export const ExecParamsSchema = Type.Object(
  {
    cmd: Type.String({
      minLength: 1,
      description: 'The command to run; defaults to the resource name. Split on whitespace unless shell or args is set.',
    }),
    args: Type.Optional(
      Type.Array(Type.String(), { description: 'Arguments passed to cmd as they are, without a shell.' }),
    ),
    shell: optionalString('A shell (e.g. /bin/sh) that runs cmd with -c.'),
    cwd: optionalString('Working directory of every command; defaults to the engine’s.'),
    env: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'The whole environment of every command; empty when left out.',
      }),
    ),
    timeout: Type.Optional(
      // At most what a Node timer can wait (2^31 - 1 ms): a longer one would fire at once.
      Type.Integer({ minimum: 0, maximum: 2147483, description: 'Seconds cmd may run before its process group is killed; 0 = none; at most 2147483 (24.8 days).' }),
    ),
    user: optionalString('Run every command as this user (name or uid); needs root.'),
    group: optionalString('Run every command with this group (name or gid); needs root.'),

    ifcmd: optionalString('Guard: cmd runs only if this exits 0.'),
    ifshell: optionalString('Shell for ifcmd.'),
    ifcwd: optionalString('Working directory of ifcmd; defaults to cwd.'),
    ifequals: optionalString('Guard: when ifcmd exits 0 and its stdout+stderr equal this, cmd does not run.'),
    ifequals_stdout: optionalString('Guard: like ifequals, compared with the stdout of ifcmd only.'),
    nifcmd: optionalString('Guard: cmd runs only if this exits non-zero.'),
    nifshell: optionalString('Shell for nifcmd.'),
    nifcwd: optionalString('Working directory of nifcmd; defaults to cwd.'),
    creates: optionalString('Guard: cmd does not run when this absolute path exists. The path is watched.'),
    refreshonly: Type.Optional(
      Type.Boolean({ description: 'Run only when a notify edge asks for a refresh.' }),
    ),

    watchcmd: optionalString('A long-running command; each line it prints is an event.'),
    watchshell: optionalString('Shell for watchcmd.'),
    watchcwd: optionalString('Working directory of watchcmd; defaults to cwd.'),
    watchfiles: Type.Optional(
      Type.Array(Type.String(), { description: 'Absolute paths; a change to any of them is an event. One ending in / is a folder watched with everything below it.' }),
    ),

    donecmd: optionalString('Runs after cmd succeeded; its failure fails the resource.'),
    doneshell: optionalString('Shell for donecmd.'),
    donecwd: optionalString('Working directory of donecmd; defaults to cwd.'),
  },
  { additionalProperties: false },
);

export type ExecParams = Static<typeof ExecParamsSchema>;

/** What an `exec` resource sends after cmd ran successfully. */
export const ExecSendsSchema = Type.Object({
  output: Type.String({ description: 'stdout and stderr of cmd, interleaved in the order converge read them (2>&1 in a shell for an exact order).' }),
  stdout: Type.String({ description: 'stdout of cmd.' }),
  stderr: Type.String({ description: 'stderr of cmd.' }),
  exitcode: Type.Integer({ description: 'Exit code of cmd (0 whenever it is sent).' }),
});

export type ExecSends = Static<typeof ExecSendsSchema>;
