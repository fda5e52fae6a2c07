import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';

const flag = (description: string) => Type.Optional(Type.Boolean({ description }));
const idOrName = (what: string) =>
  Type.Optional(
    // 4294967295 is chown's "leave as it is", not an id: a file never gets it.
    Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0, maximum: 4294967294 })], {
      description: `The ${what}: a name, or a numeric id (as a number or a string of digits).`,
    }),
  );

/** The params of a `file` resource. Names and meanings follow mgmt's file resource. */
export const FileParamsSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description: 'Absolute path to manage; defaults to the resource name. A trailing / means a directory.',
    }),
    state: Type.Optional(
      // '' is mgmt's way of writing "unset", and means the same here.
      Type.Union([Type.Literal('exists'), Type.Literal('absent'), Type.Literal('')], {
        description: 'exists or absent; left out (or empty), the resource neither creates nor removes the path.',
      }),
    ),
    content: Type.Optional(Type.String({ description: 'The exact content of the file.' })),
    source: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A file to copy, a directory (ending in /) to copy with recurse, or the target of a symlink.',
      }),
    ),
    fragments: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Files concatenated in order into the file; a directory (ending in /) adds its files sorted by name.',
      }),
    ),
    owner: idOrName('owner'),
    group: idOrName('group'),
    mode: Type.Optional(
      // An integer is read as its octal digits (as mgmt does): 7777 (07777) is the most a mode holds.
      Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0, maximum: 7777 })], {
        description: 'Octal string ("0640") or symbolic ("u=rw,g=r,o="); an unquoted number is read as octal digits, as in mgmt (644 = 0644).',
      }),
    ),
    recurse: flag(
      'Copy a source directory recursively, create missing parent directories, remove a directory with contents (state: absent, or with force when a file or symlink replaces it).',
    ),
    force: flag(
      'Allow replacing a file, directory or symlink by another kind (a directory that is not empty also needs recurse), and following undeclared symlinks.',
    ),
    purge: flag('Remove entries of the managed directory that neither the source nor another file resource holds.'),
    symlink: flag('Manage a symbolic link at path pointing to source.'),
  },
  { additionalProperties: false },
);

export type FileParams = Static<typeof FileParamsSchema>;

/**
 * Params as a reversal record holds them. `createdParents`: the folders
 * above `path` that the resource made (a directory with `recurse`, as mkdir
 * -p), nearest first; putting it back removes each while it is empty. Only
 * a record carries it: the schema refuses it in a graph.
 */
export type RecordedParams = FileParams & { readonly createdParents?: readonly string[] };

/** What kind of thing a resource manages at its path. */
export type WantedKind = 'file' | 'dir' | 'symlink';

export function wantedKind(params: Readonly<FileParams>): WantedKind {
  if (params.symlink) return 'symlink';
  return params.path.endsWith('/') ? 'dir' : 'file';
}
