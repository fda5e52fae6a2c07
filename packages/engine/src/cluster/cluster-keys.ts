/**
 * Where the cluster keeps things in the world. Each part has its own prefix
 * so that a watch on one never sees the others.
 */
export const clusterKeys = {
  /** `exports/HOST/KIND/NAME` → an exported resource (JSON). */
  exportsOf: (host: string): string => `exports/${host}/`,
  exportsPrefix: 'exports/',
  exported: (host: string, kind: string, name: string): string => `exports/${host}/${kind}/${encodeURIComponent(name)}`,
  /** `status/HOST` → a host's status (JSON), bound to its lease. */
  statusPrefix: 'status/',
  status: (host: string): string => `status/${host}`,
  /** `deploys/latest` → the newest deploy id; `deploys/N` → that deploy (JSON). */
  latestDeploy: 'deploys/latest',
  deploy: (id: number): string => `deploys/${String(id).padStart(10, '0')}`,
  /** Elections of the scheduler, one per scheduled name. */
  schedule: (name: string): string => `schedule/${name}`,
} as const;
