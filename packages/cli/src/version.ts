import { readFileSync } from 'node:fs';
// The subpath, not the package's index: `converge --version` need not load the whole contract (TypeBox).
import { ENGINE_API_VERSION } from '@converge/engine-api/version';

/** `converge 0.1.0 (engine-api 1.0.0)`: the command's version and the resource contract it speaks. */
export function versionText(): string {
  // Read at run time from the package itself, so the number can never drift from package.json.
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version =
    typeof manifest === 'object' && manifest !== null && 'version' in manifest ? String(manifest.version) : 'unknown';
  return `converge ${version} (engine-api ${ENGINE_API_VERSION})`;
}
