import type { EngineTopology, ResourceStatus } from '@converge/engine';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { graphSnapshot, statusView } from '../src/ui/live-view-model.js';

const vertex = (name: string, hidden = false) => ({ id: `noop[${name}]`, kind: 'noop', name, hidden, group: [] });
const edge = (from: string, to: string) => ({ from: `noop[${from}]`, to: `noop[${to}]`, notify: false, origin: 'explicit' as const });
const status = (name: string): ResourceStatus => ({ id: `noop[${name}]`, kind: 'noop', name, state: 'converged', hidden: false, noop: false, checks: 1, changes: 0 });

type Svg = { svg: { g: { class: string; 'data-id'?: string; 'data-from'?: string; 'data-to'?: string }[] } };

describe("the web view's picture", () => {
  it('draws the order a hidden resource carries, as converge graph does (QA: two unconnected boxes)', () => {
    const topology: EngineTopology = { resources: [vertex('a'), vertex('h', true), vertex('c')], edges: [edge('a', 'h'), edge('h', 'c')] };
    const snapshot = graphSnapshot('g', topology, [status('a'), status('c')], { now: false, detection: true });
    const svg = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(snapshot.svg) as Svg;
    expect(svg.svg.g.filter((group) => group.class.startsWith('edge')).map((group) => [group.class, group['data-from'], group['data-to']])).toEqual([
      ['edge through-hidden', 'noop[a]', 'noop[c]'],
    ]);
    expect(snapshot.svg).not.toContain('noop[h]');
  });

  it("gives each status the id its box carries, a name's newline or zero-width space escaped (the picture is XML)", () => {
    const names = ['new\nline', 'new\\nline', 'z\u200b', 'plain'];
    const topology: EngineTopology = { resources: names.map((name) => vertex(name)), edges: [] };
    const snapshot = graphSnapshot('g', topology, names.map(status), { now: false, detection: true });
    const svg = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(snapshot.svg) as Svg;
    const boxIds = svg.svg.g.filter((group) => group.class === 'resource').map((group) => group['data-id']);
    expect(snapshot.statuses.map((shown) => shown.shownId)).toEqual(['noop[new\\nline]', 'noop[new\\\\nline]', 'noop[z\\u200b]', 'noop[plain]']);
    expect(boxIds.sort()).toEqual(snapshot.statuses.map((shown) => shown.shownId).sort());
    expect(statusView(status('plain'))).toMatchObject({ id: 'noop[plain]', shownId: 'noop[plain]' });
  });
});
