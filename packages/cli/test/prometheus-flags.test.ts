import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../src/listen-address.js';
import { prometheusAddress, withBarePrometheus } from '../src/prometheus-flags.js';

const argv = (...args: string[]): string[] => ['node', 'converge', 'run', ...args];

describe('--prometheus before commander', () => {
  it('writes a bare --prometheus as the switch unless an address follows it', () => {
    expect(withBarePrometheus(argv('--prometheus', 'graph.yaml'))).toEqual(argv('--prometheus=true', 'graph.yaml'));
    expect(withBarePrometheus(argv('--prometheus', '--prometheus-listen', ':45001', 'g.yaml'))).toEqual(argv('--prometheus=true', '--prometheus-listen', ':45001', 'g.yaml'));
    expect(withBarePrometheus(argv('g.yaml', '--prometheus'))).toEqual(argv('g.yaml', '--prometheus=true'));
    // converge's own form: the address follows, a bad one included (told as a bad address, not as a missing graph).
    for (const address of ['9100', '0', '127.0.0.1:9100', '[::1]:9100', ':9100', '127.0.0.1:99999']) {
      expect(withBarePrometheus(argv('--prometheus', address, 'g.yaml'))).toEqual(argv('--prometheus', address, 'g.yaml'));
    }
    expect(withBarePrometheus(argv('--prometheus', 'dir/a:b.yaml'))).toEqual(argv('--prometheus=true', 'dir/a:b.yaml'));
    expect(withBarePrometheus(argv('g.yaml', '--', '--prometheus', 'x'))).toEqual(argv('g.yaml', '--', '--prometheus', 'x'));
  });

  it("serves at mgmt's default, at --prometheus-listen, or not at all; refuses a listen address alone or beside another", () => {
    expect(prometheusAddress(true, undefined)).toEqual({ address: { host: '127.0.0.1', port: 9233, loopback: true } });
    expect(prometheusAddress(true, parseListenAddress(':45001'))).toEqual({ address: { host: '0.0.0.0', port: 45001, loopback: false } });
    expect(prometheusAddress(false, parseListenAddress('9'))).toEqual({ address: undefined });
    expect(prometheusAddress(undefined, undefined)).toEqual({ address: undefined });
    expect(prometheusAddress(undefined, parseListenAddress('9'))).toMatchObject({ problem: expect.stringContaining('add --prometheus') });
    expect(prometheusAddress(parseListenAddress('8'), parseListenAddress('9'))).toMatchObject({ problem: expect.stringContaining('give one') });
  });
});
