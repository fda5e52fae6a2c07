import type { Domain, Hypervisor } from '@unraid/libvirt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainState } from '../src/libvirt-connection.js';
import { converge, domainName, eventually, lookup, makeVirt, openOutside, removeDomain, TEST_URI } from './helpers.js';
import type { LiveVirt } from './helpers.js';

// test:///default lives inside this process: these tests need no daemon,
// only the built binding, and they undefine every domain they define.
let outside: Hypervisor;
const made: string[] = [];
const never = new AbortController().signal;

beforeAll(async () => {
  outside = await openOutside();
});
afterAll(async () => {
  for (const name of made) await removeDomain(outside, name);
  await outside.connectClose();
});

async function withVirt<T>(name: string, params: Parameters<typeof makeVirt>[1], body: (live: LiveVirt) => Promise<T>): Promise<T> {
  const live = await makeVirt(name, { uri: TEST_URI, maxcpus: 4, memory: 65536, ...params });
  try {
    return await body(live);
  } finally {
    await live.res.cleanup();
    await live.harness.dispose();
  }
}

async function stateOf(name: string): Promise<number | undefined> {
  const domain = await lookup(outside, name);
  return domain ? (await domain.getInfo()).state : undefined;
}

async function persistentNames(): Promise<string[]> {
  return Promise.all((await outside.connectListAllDomains(4)).map((d) => d.getName()));
}

describe('virt on test:///default', () => {
  it('defines and starts, pauses, resumes and shuts off a persistent domain', async () => {
    const name = domainName('life');
    made.push(name);
    for (const [state, expected] of [
      ['running', DomainState.RUNNING],
      ['paused', DomainState.PAUSED],
      ['running', DomainState.RUNNING],
      ['shutoff', DomainState.SHUTOFF],
      ['paused', DomainState.PAUSED],
    ] as const) {
      await withVirt(name, { state }, async (live) => {
        expect(await converge(live)).toBe('diverged');
        expect(await stateOf(name)).toBe(expected);
        expect(await converge(live)).toBe('converged');
      });
    }
    expect(await persistentNames()).toContain(name);
  });

  it('checks without changing anything when apply is false', async () => {
    const name = domainName('noop');
    made.push(name);
    await withVirt(name, { state: 'running' }, async (live) => {
      expect(await live.res.checkApply(false, never)).toBe(false);
      expect(await lookup(outside, name)).toBeUndefined();
    });
  });

  it('tells in a dry run every step it would take, and takes none', async () => {
    const name = domainName('describe');
    made.push(name);
    await withVirt(name, { state: 'paused' }, async (live) => {
      expect(await live.res.checkApply(false, never)).toBe(false);
      expect(await live.res.describeChange()).toBe('define the domain and start it paused');
      expect(await lookup(outside, name)).toBeUndefined();
    });
    await withVirt(name, { state: 'running', cpus: 1 }, (live) => converge(live));
    await withVirt(name, { state: 'paused', cpus: 2 }, async (live) => {
      expect(await live.res.checkApply(false, never)).toBe(false);
      expect(await live.res.describeChange()).toBe('redefine the domain for its next boot: cpus 1 -> 2; pause the domain (now running)');
      // Nor a warning that the definition has the changes: in a dry run it does not yet (QA).
      expect(live.harness.logs().some((l) => /next boot/.test(l.message))).toBe(false);
    });
    await withVirt(name, { state: 'running', cpus: 2, restartondiverge: 'ifneeded' }, async (live) => {
      expect(await live.res.checkApply(false, never)).toBe(false);
      expect(await live.res.describeChange()).toBe('redefine the domain for its next boot: cpus 1 -> 2; restart the domain to apply: cpus 1 -> 2');
    });
    await withVirt(name, { state: 'shutoff', cpus: 1 }, async (live) => {
      expect(await live.res.checkApply(false, never)).toBe(false);
      expect(await live.res.describeChange()).toBe('power off the domain (now running)');
      // A check that finds nothing to do leaves nothing from the last one.
      await converge(live);
      expect(await live.res.checkApply(false, never)).toBe(true);
      expect(await live.res.describeChange()).toBeUndefined();
    });
    expect(await stateOf(name)).toBe(DomainState.SHUTOFF);
  });

  it('creates a transient domain, and makes it disappear for shutoff', async () => {
    const name = domainName('transient');
    made.push(name);
    await withVirt(name, { transient: true, state: 'paused' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await stateOf(name)).toBe(DomainState.PAUSED);
      expect(await persistentNames()).not.toContain(name);
    });
    await withVirt(name, { transient: true, state: 'shutoff' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await lookup(outside, name)).toBeUndefined();
      expect(await converge(live)).toBe('converged');
    });
  });

  it('turns a running persistent domain transient and back without stopping it', async () => {
    const name = domainName('persist');
    made.push(name);
    await withVirt(name, { state: 'running' }, (live) => converge(live));
    await withVirt(name, { state: 'running', transient: true }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await persistentNames()).not.toContain(name);
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
    });
    await withVirt(name, { state: 'running' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await persistentNames()).toContain(name);
    });
  });

  it('changes cpus and memory of a shut-off domain by redefining it', async () => {
    const name = domainName('cold');
    made.push(name);
    await withVirt(name, { state: 'shutoff', cpus: 1 }, (live) => converge(live));
    await withVirt(name, { state: 'shutoff', cpus: 3, memory: 131072 }, async (live) => {
      expect(await converge(live)).toBe('diverged');
    });
    const domain = await lookup(outside, name);
    const info = await domain!.getInfo();
    expect([info.nrVirtCpu, info.maxMem]).toEqual([3, 131072]);
  });

  it('applies restartondiverge to a running domain the test driver cannot hot-plug', async () => {
    const name = domainName('diverge');
    made.push(name);
    await withVirt(name, { state: 'running', cpus: 1 }, (live) => converge(live));

    await withVirt(name, { state: 'running', cpus: 2, restartondiverge: 'error' }, async (live) => {
      // A dry run fails as the real run will (QA: it said "would change"), and changes nothing.
      await expect(live.res.checkApply(false, never)).rejects.toThrow(/needs a restart to apply: cpus 1 -> 2/);
      await expect(live.res.checkApply(true, never)).rejects.toThrow(/needs a restart to apply: cpus 1 -> 2/);
    });
    await withVirt(name, { state: 'running', cpus: 2, restartondiverge: 'ignore' }, async (live) => {
      expect(await live.res.checkApply(true, never)).toBe(true);
      expect(live.harness.logs().some((l) => l.level === 'warn' && /next restart/.test(l.message))).toBe(true);
    });
    expect((await (await lookup(outside, name))!.getInfo()).nrVirtCpu).toBe(1);

    await withVirt(name, { state: 'running', cpus: 2, memory: 98304, restartondiverge: 'ifneeded' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
    });
    const info = await (await lookup(outside, name))!.getInfo();
    expect([info.state, info.nrVirtCpu, info.maxMem]).toEqual([DomainState.RUNNING, 2, 98304]);
  });

  it('powers off a running domain that differs, then redefines it (the state wins over restartondiverge)', async () => {
    const name = domainName('offdiff');
    made.push(name);
    await withVirt(name, { state: 'running', cpus: 1 }, (live) => converge(live));
    await withVirt(name, { state: 'shutoff', cpus: 2, memory: 131072, restartondiverge: 'error' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await converge(live)).toBe('converged');
    });
    const info = await (await lookup(outside, name))!.getInfo();
    expect([info.state, info.nrVirtCpu, info.maxMem]).toEqual([DomainState.SHUTOFF, 2, 131072]);
  });

  it('removes a running transient domain that differs, for transient shutoff', async () => {
    const name = domainName('offtrans');
    made.push(name);
    await withVirt(name, { state: 'running', cpus: 1 }, (live) => converge(live));
    await withVirt(name, { state: 'shutoff', transient: true, cpus: 2, restartondiverge: 'error' }, async (live) => {
      expect(await converge(live)).toBe('diverged');
      expect(await lookup(outside, name)).toBeUndefined();
    });
  });

  it('pauses a running domain that differs, keeping the change for its next boot', async () => {
    const name = domainName('pausediff');
    made.push(name);
    await withVirt(name, { state: 'running', cpus: 1 }, (live) => converge(live));
    for (const restartondiverge of ['error', 'ifneeded'] as const) {
      await withVirt(name, { state: 'paused', cpus: 2, memory: 131072, restartondiverge }, async (live) => {
        await converge(live);
        expect(await converge(live)).toBe('converged');
        expect(live.harness.logs().some((l) => l.level === 'warn' && /next boot/.test(l.message))).toBe(true);
      });
      const info = await (await lookup(outside, name))!.getInfo();
      // Paused, not restarted: still the cpus and memory it was started with.
      expect([info.state, info.nrVirtCpu, info.maxMem]).toEqual([DomainState.PAUSED, 1, 65536]);
    }
    // The next boot gets the new definition.
    await withVirt(name, { state: 'shutoff', cpus: 2, memory: 131072 }, (live) => converge(live));
    await withVirt(name, { state: 'running', cpus: 2, memory: 131072 }, (live) => converge(live));
    const info = await (await lookup(outside, name))!.getInfo();
    expect([info.state, info.nrVirtCpu, info.maxMem]).toEqual([DomainState.RUNNING, 2, 131072]);
  });

  it('restarts on refresh with restartonrefresh', async () => {
    const name = domainName('refresh');
    made.push(name);
    await withVirt(name, { state: 'running', restartonrefresh: true }, async (live) => {
      await converge(live);
      live.harness.setRefresh(true);
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect(live.harness.logs().some((l) => l.message === 'restarting the domain')).toBe(true);
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
    });
  });

  it('refuses autostart on the test driver with a clear error', async () => {
    const name = domainName('autostart');
    made.push(name);
    await withVirt(name, { state: 'shutoff', startup: 'enabled' }, async (live) => {
      await expect(live.res.checkApply(true, never)).rejects.toThrow(/autostart cannot be set on test:\/\/\/default/);
    });
  });

  /** A running domain under the resource's watch (live once its first event came); `domain` is the outside's handle on it. */
  async function watched(label: string, body: (live: LiveVirt, domain: Domain) => Promise<void>): Promise<void> {
    const name = domainName(label);
    made.push(name);
    await withVirt(name, { state: 'running' }, async (live) => {
      await converge(live);
      const controller = new AbortController();
      const ready = live.harness.waitForEvent();
      const watching = live.res.watch(controller.signal);
      await ready;
      try {
        await body(live, (await lookup(outside, name))!);
      } finally {
        controller.abort();
        await watching;
      }
    });
  }

  it('notices changes made outside by polling, and checkApply repairs them', async () => {
    await watched('watch', async (live, domain) => {
      const name = await domain.getName();
      const seen = live.harness.waitForEvent(3_000);
      await domain.suspend();
      await seen;
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
      const gone = live.harness.waitForEvent(3_000);
      await domain.destroy();
      await domain.undefine();
      await gone;
      expect(await converge(live)).toBe('diverged');
      expect(await stateOf(name)).toBe(DomainState.RUNNING);
    });
  });

  it('notices by polling a change to the definition alone, which sends no event, and checkApply repairs it (QA: virsh setmaxmem --config)', async () => {
    await watched('config', async (live, domain) => {
      const config = await domain.getXMLDesc(2);
      const seen = live.harness.waitForEvent(10_000);
      // The running domain keeps its memory; its next boot would get twice as much.
      await outside.domainDefineXML(config.replace(/<memory unit='KiB'>65536</, "<memory unit='KiB'>131072<"));
      await seen;
      expect(await domain.getXMLDesc(2)).toMatch(/<memory unit='KiB'>131072</);
      expect(await live.res.checkApply(true, never)).toBe(false);
      expect(await domain.getXMLDesc(2)).toMatch(/<memory unit='KiB'>65536</);
    });
  });
});

describe('validation', () => {
  it('rejects conflicting params', async () => {
    await expect(makeVirt('x', { uri: TEST_URI, cpus: 4, maxcpus: 2 })).rejects.toThrow(/cpus \(4\) is more than maxcpus \(2\)/);
    await expect(makeVirt('x', { uri: TEST_URI, transient: true, startup: 'enabled' })).rejects.toThrow(/transient domain cannot autostart/);
    await expect(makeVirt('x', { uri: 'nope' })).rejects.toThrow(/not a libvirt URI/);
  });
});
