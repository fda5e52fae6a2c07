/** One package as PackageKit names it: `name;version;arch;data`. */
export interface PackageRef {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** `installed`, `auto:<repo>`, `installed:<repo>` when installed; the repo otherwise. */
  readonly data: string;
  readonly installed: boolean;
}

/** Parses a Package() signal's id; `info` says whether it is installed. */
export function parsePackageId(id: string, installed: boolean): PackageRef {
  const [name = '', version = '', arch = '', data = ''] = id.split(';');
  return { id, name, version, arch, data, installed };
}
