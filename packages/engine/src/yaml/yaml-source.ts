import { EngineError, type EngineErrorCode, type SourceLocation } from '@converge/engine-api';
import type { Document, LineCounter, Node } from 'yaml';

/**
 * One YAML document being read, with everything needed to say where a node
 * was written and to collect problems instead of stopping at the first.
 */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  readonly problems: EngineError[];
}

export function locationAt(source: Pick<YamlSource, 'file' | 'lineCounter'>, offset: number): SourceLocation {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

/** Where `node` starts; the document start when the node has no range. */
export function locationOf(source: YamlSource, node: Node | null | undefined): SourceLocation {
  return locationAt(source, node?.range?.[0] ?? source.doc.range[0]);
}

export function report(
  source: YamlSource,
  code: EngineErrorCode,
  message: string,
  location: SourceLocation,
  hint?: string,
): void {
  source.problems.push(new EngineError(code, message, { phase: 'load', location, ...(hint ? { hint } : {}) }));
}
