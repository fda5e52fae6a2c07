import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { closestNames, unknownNameHint } from './did-you-mean.js';
import { pathSegments } from './schema-paths.js';

/** The keys an object schema declares (none for a mapping of any keys, a record). */
function declaredKeys(schema: TSchema): string[] {
  return Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {});
}

/**
 * What to write instead of a key that a mapping inside a param does not
 * take (`typ` in a disk entry, `readonly` in a filesystem one): the nearest
 * keys it has, and all of them.
 */
export function unknownKeyHint(error: ValueError, key: string): string {
  const known = declaredKeys(error.schema);
  return known.length > 0 ? unknownNameHint(key, known, 'keys') : 'remove it: this mapping takes no other keys';
}

/**
 * The paths (`cdrom/0/source`) of required keys that an unknown key beside
 * them was surely meant as (`sourc`, the only close name): "missing 'source'"
 * would only repeat what "unknown key 'sourc'" and its hint say.
 */
export function keysMeantByUnknown(errors: readonly ValueError[]): Set<string> {
  const meant = new Set<string>();
  for (const error of errors) {
    if (error.type !== ValueErrorType.ObjectAdditionalProperties) continue;
    const segments = pathSegments(error.path);
    const close = closestNames(segments[segments.length - 1] as string, declaredKeys(error.schema));
    if (close.length === 1) meant.add([...segments.slice(0, -1), close[0]].join('/'));
  }
  return meant;
}
