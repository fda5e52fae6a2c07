import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestEngine } from '@converge/testkit';
import type { Hypervisor } from '@unraid/libvirt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtResource } from '../src/index.js';
import { DomainState } from '../src/libvirt-connection.js';
import { domainName, eventually, lookup, openOutside, removeDomain } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/dist/bin.js');

let outside: Hypervisor;
const made: string[] = [];
beforeAll(async () => {
  outside = await openOutside();
});
afterAll(async () => {
  for (const name of made) await removeDomain(outside, name);
  await outside.connectClose();
});

const graph = (web: string, db: string): string => `
graph: vms
resources:
  virt:
  - name: ${db}
    uri: "test:///default"
    state: running
    cpus: 1
    maxcpus: 2
    memory: 65536
  - name: ${web}
    uri: "test:///default"
    state: paused
    transient: true
    memory: 65536
edges:
- name: db-first
  from: {kind: virt, name: ${db}}
  to: {kind: virt, name: ${web}}
`;

describe('virt in a real engine', () => {
  it('brings domains into their states and puts back a domain stopped behind its back', async () => {
    const db = domainName('db');
    const web = domainName('web');
    made.push(db, web);
    const running = await startTestEngine({ resources: [virtResource], yaml: graph(web, db) });
    try {
      await running.waitConverged();
      expect(running.status(`virt[${db}]`)?.state).toBe('converged');
      expect((await (await lookup(outside, db))!.getInfo()).state).toBe(DomainState.RUNNING);
      expect((await (await lookup(outside, web))!.getInfo()).state).toBe(DomainState.PAUSED);

      await (await lookup(outside, db))!.destroy();
      await eventually(async () => (await (await lookup(outside, db))!.getInfo()).state === DomainState.RUNNING, 5_000);
    } finally {
      await running.stop();
    }
  });
});

describe("mgmt's zero values in a virt graph", () => {
  it('reads a card\'s mac: "" and osinit: "" as not set, with a warning at their lines: libvirt picks the MAC (QA: mac: "" was refused, where mgmt makes one up)', async () => {
    const name = domainName('zero-mac');
    made.push(name);
    const yaml = [
      'graph: zero',
      'resources:',
      '  virt:',
      `  - name: ${name}`,
      '    uri: "test:///default"',
      '    memory: 65536',
      '    osinit: ""',
      '    network:',
      '    - {name: default, mac: ""}',
      '    - name: default',
      "      mac: ''",
      '    - {name: default, mac: }',
      '',
    ].join('\n');
    const running = await startTestEngine({ resources: [virtResource], yaml, file: 'zero.yaml' });
    try {
      expect(running.graph.warnings?.map((warning) => [warning.location.file, warning.location.line, warning.message, warning.hint])).toEqual([
        ['zero.yaml', 7, `read 'osinit: ""' as osinit not set, as mgmt does`, 'remove osinit, or give it a value'],
        ['zero.yaml', 9, `param 'network' entry 1's mac: read 'mac: ""' as mac not set, as mgmt does`, 'remove mac, or give it a value'],
        ['zero.yaml', 11, `param 'network' entry 2's mac: read 'mac: ""' as mac not set, as mgmt does`, 'remove mac, or give it a value'],
        // Left empty, as mgmt reads it: no MAC, not the empty text.
        ['zero.yaml', 12, `param 'network' entry 3's mac: read 'mac: null' as mac not set, as mgmt does`, 'remove mac, or give it a value'],
      ]);
      expect(running.graph.resources.get(`virt[${name}]`)?.params['network']).toEqual([{ name: 'default' }, { name: 'default' }, { name: 'default' }]);
      await running.waitConverged();
      expect(running.status(`virt[${name}]`)?.state).toBe('converged');
      const xml = await (await lookup(outside, name))!.getXMLDesc();
      expect(xml.match(/<mac address='[0-9a-f]{2}(:[0-9a-f]{2}){5}'\/>/g)).toHaveLength(3);
    } finally {
      await running.stop();
    }
  });
});

describe('the converge command', () => {
  it('runs a YAML graph of virt resources to convergence and exits', async () => {
    // The CLI's own process holds its test:///default driver: its domains end with it.
    const dir = await mkdtemp(join(tmpdir(), 'res-virt-cli-'));
    try {
      const file = join(dir, 'vms.yaml');
      await writeFile(file, graph('web', 'db'));
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [CLI, 'run', '--tmp-prefix', '--converger-timeout=0', '--converged-exit', file],
        { cwd: REPO_ROOT, timeout: 30_000 },
      );
      expect(`${stdout}${stderr}`).toMatch(/2 converged · 0 failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a test-driver domain through graph swaps that replace its resource (its connection closes, the next one opens)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'res-virt-swap-'));
    const file = join(dir, 'vm.yaml');
    const vm = (state: string): string => `graph: vm\nresources:\n  virt:\n  - name: swapped\n    uri: "test:///default"\n    state: ${state}\n    memory: 65536\n`;
    await writeFile(file, vm('running'));
    const child = spawn(process.execPath, [CLI, 'run', '--tmp-prefix', '--converger-timeout=0', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const count = (pattern: RegExp): number => output.match(new RegExp(pattern, 'g'))?.length ?? 0;
    try {
      await eventually(async () => count(/domain started running/) === 1, 15_000);
      // Each save swaps in a new resource for the domain (its state param changed).
      for (let round = 1; round <= 10; round++) {
        await writeFile(file, vm(round % 2 === 1 ? 'paused' : 'running'));
        await eventually(async () => count(/domain (paused|resumed)/) === round, 10_000);
      }
      expect(count(/domain defined/), output).toBe(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
