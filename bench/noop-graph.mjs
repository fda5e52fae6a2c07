// Writes a graph of N noop resources in mgmt's YAML format, as a chain, a
// fan (one root, N-1 children) or with no edges. Ungrouped by default
// (`meta: {autogroup: false}`), so every resource is its own vertex: noops
// otherwise group, and the engine would run a handful of vertices.
import { writeFileSync } from 'node:fs';

export function noopGraphYaml(shape, count, { grouped = false } = {}) {
  const lines = ['graph: bench', 'resources:', '  noop:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  - name: n${i}`);
    if (!grouped) lines.push('    meta: {autogroup: false}');
  }
  if (shape !== 'none' && count > 1) {
    lines.push('edges:');
    for (let i = 1; i < count; i++) {
      const from = shape === 'chain' ? `n${i - 1}` : 'n0';
      lines.push(`- name: e${i}`, '  from: {kind: noop, name: ' + from + '}', `  to: {kind: noop, name: n${i}}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function writeNoopGraph(file, shape, count, options) {
  writeFileSync(file, noopGraphYaml(shape, count, options));
}
