import type { PackagePlan } from './plan.js';
import { parsePackageId } from './packagekit/package-id.js';

/**
 * What a dry run found to do, one line per package, as a user reads it:
 * `install cowsay 3.03+dfsg2-8 (all)`, `update curl to 7.88.1-10+deb12u8
 * (amd64)`, `remove sl 5.02-1+b1 (amd64)`. Undefined when nothing.
 */
export function describePlan(plan: PackagePlan): string | undefined {
  const lines = [
    ...plan.remove.map((id) => line('remove', id)),
    ...plan.install.map((id) => line('install', id)),
    ...plan.update.map((id) => line('update', id, 'to ')),
  ];
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function line(verb: string, id: string, before = ''): string {
  const { name, version, arch } = parsePackageId(id, false);
  return `${verb} ${name} ${before}${version}${arch ? ` (${arch})` : ''}`;
}
