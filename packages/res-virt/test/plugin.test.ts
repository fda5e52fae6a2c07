import { readFileSync } from 'node:fs';
import { isPluginDefinition } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import plugin, { buildDomainXml, parseDomainXml, virtResource, VirtParamsSchema } from '../src/index.js';
import { Value } from '@sinclair/typebox/value';
import type { VirtParams } from '../src/index.js';
import { fullParams } from './helpers.js';

describe('the plugin', () => {
  it('default-exports the virt kind, matching package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      converge: { kinds: string[] };
    };
    expect(isPluginDefinition(plugin)).toBe(true);
    expect(plugin.name).toBe(manifest.name);
    expect(plugin.resources.map((r) => r.kind)).toEqual(manifest.converge.kinds);
    // A refresh restarts a domain only with restartonrefresh: a notify edge to one without it gets a load warning.
    const refreshable = virtResource.refreshable as (params: VirtParams) => boolean;
    expect([true, false].map((restartonrefresh) => refreshable(fullParams({ restartonrefresh })))).toEqual([true, false]);
  });

  it('wants file edges for its images and shared directories', () => {
    const params = fullParams({ disk: [{ source: '/var/img/a.qcow2', type: 'qcow2' }], filesystem: [{ source: '/srv', target: 'srv', read_only: false }] });
    expect(virtResource.edgeable!.autoEdges(params, 'vm').next().value).toEqual([
      { kind: 'file', key: '/var/img/a.qcow2' },
      { kind: 'file', key: '/srv/' },
    ]);
  });
});

describe('validate (QA: these passed validate and failed only when the domain was defined)', () => {
  const issuesOf = (params: Parameters<typeof fullParams>[0], name = 'vm') =>
    (virtResource.validate?.(Value.Default(VirtParamsSchema, structuredClone(params)) as VirtParams, name) ?? []).map((issue) => [issue.param, issue.at, issue.message]);

  it('refuses a domain name with a slash, told at the resource', () => {
    expect(issuesOf({}, 'bad/name')).toEqual([[undefined, undefined, `the domain name "bad/name" holds a '/', which libvirt does not allow in a name`]]);
  });

  it('refuses a relative disk path and a format libvirt does not know, at the disk entry', () => {
    expect(issuesOf({ disk: [{ source: '/img/ok.qcow2', type: 'qcow2' }, { source: 'relative.qcow2', type: 'bogusfmt' }] })).toEqual([
      ['disk', [1, 'source'], `disk 2's source "relative.qcow2" is not an absolute path`],
      ['disk', [1, 'type'], `disk 2's type "bogusfmt" is not an image format libvirt knows`],
    ]);
    expect(issuesOf({ disk: [{ source: '~/img/a.raw', type: 'raw' }] })).toEqual([]);
  });

  it("refuses a bad MAC at its own line, numbered as disks are (QA: told at the list item, as network[0])", () => {
    expect(issuesOf({ network: [{ name: 'default' }, { name: 'default', mac: 'zz:zz' }] } as Parameters<typeof fullParams>[0])).toEqual([
      ['network', [1, 'mac'], `network 2's mac "zz:zz" is not a MAC address`],
    ]);
  });

  it("takes only libvirt's access modes for a shared folder, empty for its default (QA: access: weird failed only at define time)", () => {
    const share = (access: string) => Value.Check(VirtParamsSchema, Value.Default(VirtParamsSchema, { filesystem: [{ source: '/srv', target: 'share', access }] }));
    expect(['passthrough', 'mapped', 'squash', ''].map(share)).toEqual([true, true, true, true]);
    expect(share('weird')).toBe(false);
  });
});

describe('domain XML', () => {
  it('reads back what it writes, escaping names', () => {
    const params = fullParams({
      uri: 'qemu:///system',
      cpus: 2,
      maxcpus: 3,
      memory: 65536,
      boot: ['cdrom', 'hd'],
      disk: [{ source: '/img/a.raw', type: 'raw' }],
      cdrom: [{ source: '/img/b.iso', type: 'raw' }],
      network: [{ name: 'default', mac: '52:54:00:aa:bb:cc' }],
    });
    const xml = buildDomainXml('a<b', params);
    expect(xml).toContain('<name>a&lt;b</name>');
    expect(xml).toContain('<domain type="kvm">');
    const read = parseDomainXml(xml);
    expect(read.cpus).toBe(2);
    expect(read.hardware).toMatchObject({
      maxcpus: 3,
      memory: 65536,
      boot: ['cdrom', 'hd'],
      disks: [{ source: '/img/a.raw', type: 'raw' }],
      cdroms: [{ source: '/img/b.iso', type: 'raw' }],
      networks: [{ name: 'default', mac: '52:54:00:aa:bb:cc' }],
    });
  });
});
