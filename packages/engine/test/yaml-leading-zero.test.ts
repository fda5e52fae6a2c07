import { describe, expect, it } from 'vitest';
import { parseGraphYaml } from '../src/yaml/parse.js';

// mgmt's graphs write modes unquoted (`mode: 0640`); YAML 1.2 would read
// that as the decimal 640. The public parser (fast path included) keeps
// such numbers as the text they are written as.
const graph = [
  'graph: modes',
  'resources:',
  '  file:',
  '  - name: /tmp/a',
  '    mode: 0400',
  '  - {name: /tmp/b, mode: 0640}',
  '  - name: /tmp/c',
  '    mode: 420',
  '  - name: /tmp/d',
  '    mode: 0',
  '  - name: /tmp/e',
  '    mode: 0o640',
  '',
].join('\n');

describe('numbers with a leading zero', () => {
  it('are read as written, in block and flow style; other numbers stay numbers', () => {
    const spec = parseGraphYaml(graph, 'g.yaml');
    const modes = spec.resources.map((resource) => resource.params['mode']);
    expect(modes).toEqual(['0400', '0640', 420, 0, '0o640']);
  });

  it('are read as written when the graph is otherwise plain enough for the fast path', () => {
    const plain = 'graph: one\nresources:\n  file:\n  - name: /tmp/a\n    mode: 0755\n';
    expect(parseGraphYaml(plain, 'g.yaml').resources[0]?.params['mode']).toBe('0755');
    const yaml12Octal = 'graph: one\nresources:\n  file:\n  - name: /tmp/a\n    mode: 0o750\n';
    expect(parseGraphYaml(yaml12Octal, 'g.yaml').resources[0]?.params['mode']).toBe('0o750');
  });
});
