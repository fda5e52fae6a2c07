import { EngineError } from '@converge/engine-api';
import { describe, expect, it } from 'vitest';
import { inFileOrder } from '../src/graph/load-error.js';

const at = (file: string, line: number, column: number, message: string): EngineError =>
  new EngineError('ERR_GRAPH_SHAPE', message, { phase: 'load', location: { file, line, column } });

describe('load problems', () => {
  it('come in the order they are written, by file as first met, those without a place last, ties kept as found', () => {
    const unplaced = new EngineError('ERR_INTERNAL', 'no place');
    const problems = [
      at('g.yaml', 13, 3, 'duplicate'),
      unplaced,
      at('g.yaml', 6, 5, 'param'),
      at('other.yaml', 1, 1, 'other file'),
      at('g.yaml', 17, 1, 'first at 17'),
      at('g.yaml', 17, 1, 'second at 17'),
      at('g.yaml', 16, 9, 'edge'),
    ];
    expect(inFileOrder(problems).map((problem) => problem.message)).toEqual([
      'param',
      'duplicate',
      'edge',
      'first at 17',
      'second at 17',
      'other file',
      'no place',
    ]);
  });
});
