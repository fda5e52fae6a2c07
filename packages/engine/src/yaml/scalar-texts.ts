import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { yaml11Boolean } from '../graph/yaml11-boolean.js';
import { isForbiddenKey } from './yaml-safety.js';
import type { ShapeContext } from './yaml-shape.js';

/** Deeper than any param schema goes. */
const MAX_NESTING = 8;

/** What the precise parser keeps of how scalars are written (see ResourceSpec.scalarTexts and quotedBooleanWords). */
export interface ScalarForms {
  readonly texts: Map<string, string>;
  readonly quotedBooleanWords: Set<string>;
}

/**
 * The text every plain number or boolean inside a param is written as,
 * keyed by its path below the resource (`content`, `env/PORT`, `args/1`),
 * for a text param that takes it as written (see ResourceSpec.scalarTexts),
 * and where a YAML 1.1 boolean word is quoted (see quotedBooleanWords).
 * An alias is followed, as its value is what the param gets.
 */
export function addScalarTexts(ctx: ShapeContext, path: string, node: Node | null, into: ScalarForms, depth = 0): void {
  const target = ctx.values.deref(node) ?? null;
  if (target === null || depth >= MAX_NESTING) return;
  if (isScalar(target)) {
    if ((typeof target.value === 'number' || typeof target.value === 'boolean') && typeof target.source === 'string') into.texts.set(path, target.source);
    // A quoted "yes" is text to mgmt's reader too; only the plain word is a boolean there.
    else if (target.type !== 'PLAIN' && yaml11Boolean(target.value) !== undefined) into.quotedBooleanWords.add(path);
  } else if (isMap(target)) {
    // Plain string keys only (the params reader reports the others; merge keys are left out: their values get no text).
    for (const pair of target.items as Pair<Node | null, Node | null>[]) {
      const key = isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
      if (key !== undefined && key !== '<<' && !isForbiddenKey(key)) addScalarTexts(ctx, `${path}/${key}`, pair.value, into, depth + 1);
    }
  } else if (isSeq(target)) {
    target.items.forEach((item, index) => addScalarTexts(ctx, `${path}/${index}`, item as Node | null, into, depth + 1));
  }
}
