import { Type } from '@converge/engine-api';
import type { Static } from '@converge/engine-api';

const DiskSchema = Type.Object(
  {
    source: Type.String({ minLength: 1, description: 'Image file on the host (a leading ~/ is the engine user’s home).' }),
    type: Type.String({ default: 'qcow2', description: 'Image format, as qemu names it (qcow2, raw).' }),
  },
  { additionalProperties: false },
);

const NetworkSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'The libvirt network to plug into, e.g. default.' }),
    mac: Type.Optional(Type.String({ description: 'MAC address; libvirt picks one when left out.' })),
  },
  { additionalProperties: false },
);

const FilesystemSchema = Type.Object(
  {
    source: Type.String({ minLength: 1, description: 'Host directory to share.' }),
    target: Type.String({ minLength: 1, description: 'Tag (qemu) or mount point (lxc) in the guest.' }),
    access: Type.Optional(
      Type.Union([Type.Literal('passthrough'), Type.Literal('mapped'), Type.Literal('squash'), Type.Literal('')], {
        description: 'accessmode: passthrough (libvirt’s default; also when empty), mapped or squash.',
      }),
    ),
    read_only: Type.Boolean({ default: false, description: 'Share it read-only.' }),
  },
  { additionalProperties: false },
);

/** The params of a `virt` resource; the resource name is the domain name. Names follow mgmt. */
export const VirtParamsSchema = Type.Object(
  {
    uri: Type.String({ minLength: 1, default: 'qemu:///system', description: 'libvirt connection URI.' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('shutoff')], {
      default: 'running',
      description: 'Desired state of the domain.',
    }),
    transient: Type.Boolean({
      default: false,
      description: 'A transient domain is never defined; transient and shutoff means it must not exist.',
    }),
    startup: Type.Union([Type.Literal(''), Type.Literal('enabled'), Type.Literal('disabled')], {
      default: '',
      description: 'Autostart with the host: enabled, disabled, or empty to leave it alone.',
    }),
    cpus: Type.Integer({ minimum: 1, default: 1, description: 'Number of virtual cpus online.' }),
    maxcpus: Type.Integer({ minimum: 1, default: 32, description: 'Cpu slots the machine is built with (changes need a restart).' }),
    hotcpus: Type.Boolean({ default: true, description: 'Build the machine so cpus can be hot-plugged.' }),
    memory: Type.Integer({ minimum: 1024, default: 524288, description: 'Memory in KiB.' }),
    osinit: Type.Optional(Type.String({ description: 'Init program of an lxc domain.' })),
    boot: Type.Array(
      Type.Union([Type.Literal('fd'), Type.Literal('hd'), Type.Literal('cdrom'), Type.Literal('network')]),
      { default: [], description: 'Boot order.' },
    ),
    disk: Type.Array(DiskSchema, { default: [], description: 'Disks (virtio vda, vdb, ...).' }),
    cdrom: Type.Array(DiskSchema, { default: [], description: 'CD-ROMs (ide hda, hdb, ...), read-only.' }),
    network: Type.Array(NetworkSchema, { default: [], description: 'Network cards.' }),
    filesystem: Type.Array(FilesystemSchema, { default: [], description: 'Host directories shared with the guest.' }),
    restartondiverge: Type.Union([Type.Literal('error'), Type.Literal('ignore'), Type.Literal('ifneeded')], {
      default: 'error',
      description: 'What to do when a change needs a restart: error, ignore it, or restart (ifneeded).',
    }),
    restartonrefresh: Type.Boolean({ default: false, description: 'Restart the domain when a notify edge asks for a refresh.' }),
  },
  { additionalProperties: false },
);

export type VirtParams = Static<typeof VirtParamsSchema>;
export type VirtDisk = Static<typeof DiskSchema>;
export type VirtNetwork = Static<typeof NetworkSchema>;
export type VirtFilesystem = Static<typeof FilesystemSchema>;
