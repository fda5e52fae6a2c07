import { afterEach, describe, expect, it } from 'vitest';
import { writeGraph } from './support/graphs.js';
import { runCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';
import { validateLines } from './support/validate-lines.js';

afterEach(removeTempDirs);

describe('keys inside a param (QA: misspelt keys of list entries were dropped, their defaults used)', () => {
  it("refuses each unknown key of virt's disk, cdrom, network and filesystem entries at that key, with the key meant", async () => {
    const { code, lines } = await validateLines(
      'vbad3.yaml',
      `graph: vbad3
resources:
  virt:
    - name: a5
      uri: "test+unix:///default"
      state: shutoff
      disk:
        - source: /tmp/a5.img
          typ: raw
      network:
        - name: default
          macc: "52:54:00:12:34:56"
      filesystem:
        - {source: /srv/share, target: share, readonly: true}
      cdrom: [{sourc: /tmp/x.iso}]
`,
    );
    expect(code).toBe(2);
    // cdrom's missing 'source' is not told as well: 'sourc' is surely it, and its hint says so.
    expect(lines).toEqual([
      "vbad3.yaml:9:11: virt[a5]: param 'disk' entry 1: unknown key 'typ'",
      "  hint: did you mean 'type'? (valid keys: source, type)",
      "vbad3.yaml:12:11: virt[a5]: param 'network' entry 1: unknown key 'macc'",
      "  hint: did you mean 'mac'? (valid keys: mac, name)",
      "vbad3.yaml:14:47: virt[a5]: param 'filesystem' entry 1: unknown key 'readonly'",
      "  hint: did you mean 'read_only'? (valid keys: access, read_only, source, target)",
      "vbad3.yaml:15:16: virt[a5]: param 'cdrom' entry 1: unknown key 'sourc'",
      "  hint: did you mean 'source'? (valid keys: source, type)",
      'converge: 4 problems in vbad3.yaml; nothing was applied',
    ]);
  });

  it('tells an unknown key whose value starts on a later line at the key, in any kind (docker ports)', async () => {
    const { code, lines } = await validateLines(
      'ports.yaml',
      `graph: ports
resources:
  docker:container:
    - name: web
      image: nginx
      ports:
        tcp:
          "8080": 80
        tcpp:
          "8081": 81
`,
    );
    expect(code).toBe(2);
    expect(lines).toEqual([
      "ports.yaml:9:9: docker:container[web]: param 'ports': unknown key 'tcpp'",
      "  hint: did you mean 'tcp'? (valid keys: sctp, tcp, udp)",
      'converge: 1 problem in ports.yaml; nothing was applied',
    ]);
  });

  it('still loads entries that leave out a key with a default (a disk without type is qcow2)', async () => {
    const dir = await makeTempDir();
    const file = await writeGraph(
      dir,
      'ok.yaml',
      'graph: ok\nresources:\n  virt:\n    - name: a6\n      uri: "test:///default"\n      disk: [{source: /tmp/a6.img}]\n      filesystem: [{source: /srv/share, target: share}]\n',
    );
    const result = await runCli(['validate', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
