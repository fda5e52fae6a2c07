import { readFileSync } from 'node:fs';
import { isPluginDefinition } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import plugin, { buildDomainXml, parseDomainXml, virtResource } from '../src/index.js';
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
    expect(virtResource.refreshable).toBe(true);
  });

  it('wants file edges for its images and shared directories', () => {
    const params = fullParams({ disk: [{ source: '/var/img/a.qcow2', type: 'qcow2' }], filesystem: [{ source: '/srv', target: 'srv', read_only: false }] });
    expect(virtResource.edgeable!.autoEdges(params, 'vm').next().value).toEqual([
      { kind: 'file', key: '/var/img/a.qcow2' },
      { kind: 'file', key: '/srv/' },
    ]);
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
