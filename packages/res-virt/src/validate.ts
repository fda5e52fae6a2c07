import type { ValidationIssue } from '@converge/engine-api';
import type { VirtParams } from './params.js';

/** Checks what the schema cannot: conflicts between params. Pure. */
export function validateVirt(params: Readonly<VirtParams>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
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
      issues.push({ param: 'network', message: `network[${index}].mac "${net.mac}" is not a MAC address` });
    }
  }
  return issues;
}
