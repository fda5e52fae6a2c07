import type { ValidationIssue } from '@converge/engine-api';
import type { VirtParams } from './params.js';

/** Image formats libvirt's qemu driver names (a disk's `type` is its `<driver type=...>`). */
const DISK_FORMATS: ReadonlySet<string> = new Set(['raw', 'qcow2', 'qcow', 'qed', 'vmdk', 'vdi', 'vpc', 'vhdx', 'luks', 'cloop', 'dmg', 'bochs', 'parallels', 'iso', 'fat', 'ploop']);

/** Checks what the schema cannot: conflicts between params, the domain's name, disk paths and formats. Pure. */
export function validateVirt(params: Readonly<VirtParams>, name?: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (name !== undefined && name.includes('/')) {
    // libvirt refuses it only when the domain is defined, after the rest of the graph ran.
    issues.push({ message: `the domain name "${name}" holds a '/', which libvirt does not allow in a name`, hint: 'name the domain without /' });
  }
  for (const [index, disk] of params.disk.entries()) {
    if (!disk.source.startsWith('/') && !disk.source.startsWith('~/')) {
      issues.push({ param: 'disk', at: [index, 'source'], message: `disk ${index + 1}'s source "${disk.source}" is not an absolute path`, hint: 'write the image path from / (or from ~/, the engine user’s home)' });
    }
    if (!DISK_FORMATS.has(disk.type)) {
      issues.push({ param: 'disk', at: [index, 'type'], message: `disk ${index + 1}'s type "${disk.type}" is not an image format libvirt knows`, hint: `one of ${[...DISK_FORMATS].join(', ')} (qemu-img info IMAGE tells)` });
    }
  }
  if (params.cpus > params.maxcpus) {
    issues.push({ param: 'cpus', message: `cpus (${params.cpus}) is more than maxcpus (${params.maxcpus})` });
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(params.uri)) {
    issues.push({ param: 'uri', message: `"${params.uri}" is not a libvirt URI`, hint: 'e.g. qemu:///system or test:///default' });
  }
  if (params.transient && params.startup !== '') {
    issues.push({ param: 'startup', message: 'a transient domain cannot autostart', hint: 'leave startup empty or set transient: false' });
  }
  if (params.osinit !== undefined && !params.uri.startsWith('lxc:')) {
    issues.push({ param: 'osinit', message: 'osinit is only used by lxc domains' });
  }
  for (const [index, net] of params.network.entries()) {
    if (net.mac !== undefined && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(net.mac)) {
      issues.push({ param: 'network', at: [index, 'mac'], message: `network ${index + 1}'s mac "${net.mac}" is not a MAC address`, hint: 'six pairs of hex digits joined by colons (52:54:00:12:34:56), or leave mac out for libvirt to pick one' });
    }
  }
  return issues;
}
