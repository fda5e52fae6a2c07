import { extname } from 'node:path';

/**
 * Whether a plugin failed to import because it is CommonJS: its `require()`
 * of `@converge/engine-api`, an ES module only, fails with Node's
 * ERR_PACKAGE_PATH_NOT_EXPORTED ('No "exports" main defined'), which reads as
 * a broken install and sends the user to reinstall, when the plugin has to
 * be an ES module (an older Node says ERR_REQUIRE_ESM for a CommonJS entry).
 * A CommonJS plugin that needs nothing from engine-api (tags only) loads, so
 * only this failure is told so.
 */
export function failedAsCommonJs(entry: string, packageJson: Readonly<Record<string, unknown>>, cause: unknown): boolean {
  if (!(cause instanceof Error)) return false;
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return cause.message.includes('@converge/engine-api');
  // An older Node's word for a require() of any ES module.
  return code === 'ERR_REQUIRE_ESM' && isCommonJsEntry(entry, packageJson);
}

/** Node's rule: `.cjs`, or `.js` in a package without "type": "module". */
function isCommonJsEntry(entry: string, packageJson: Readonly<Record<string, unknown>>): boolean {
  const extension = extname(entry);
  return extension === '.cjs' || (extension === '.js' && packageJson['type'] !== 'module');
}
