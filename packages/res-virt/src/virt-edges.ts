import type { AutoEdgeSearch } from '@converge/engine-api';
import { hostSystemLinks, type SystemLinks } from '@converge/system-paths';
import { wantedHardware } from './domain-hardware.js';
import type { VirtParams } from './params.js';

/**
 * Image files and shared directories come first when they are managed as
 * `file` resources. Each is looked for as the file resource of that place
 * is known (`SystemLinks.systemPath`): `//var/lib/a.img` and
 * `/var/lib/../lib/a.img` are `/var/lib/a.img`, and `/lib/x.img` is
 * `/usr/lib/x.img` on a merged-/usr system, or the edge is missed and the
 * domain is defined before its image is in place. `links` are the host's,
 * but for tests.
 */
export function* virtAutoEdges(params: Readonly<VirtParams>, links: SystemLinks = hostSystemLinks): AutoEdgeSearch {
  const hw = wantedHardware(params);
  const files = [...hw.disks, ...hw.cdroms].map((d) => links.systemPath(d.source, false));
  const dirs = hw.filesystems.map((f) => links.systemPath(f.source, true));
  const keys = [...new Set([...files, ...dirs])];
  if (keys.length > 0) yield keys.map((key) => ({ kind: 'file', key }));
}
