import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs } from './support/temp-dir.js';
import { validateLines } from './support/validate-lines.js';

afterEach(removeTempDirs);

const container = (lines: string): string => `graph: denv
resources:
  docker:container:
    - name: web
      image: nginx
${lines}`;

describe("a kind's validate issues at the entry at fault (QA: docker's env errors were all at the first entry's line)", () => {
  it('tells each bad env entry of the list form at its own line', async () => {
    const { code, lines } = await validateLines(
      'denvpos.yaml',
      container(`      env:
        - A=1
        - B=2
        - NOVALUE
        - A=4
        - 9BAD=5
`),
    );
    expect(code).toBe(2);
    expect(lines).toEqual([
      "denvpos.yaml:9:11: docker:container[web]: param 'env': entry 3 is not KEY=value",
      '  hint: write each entry as NAME=value',
      "denvpos.yaml:10:11: docker:container[web]: param 'env': A is set twice",
      '  hint: keep one entry per variable',
      `denvpos.yaml:11:11: docker:container[web]: param 'env': "9BAD" is not a valid environment variable name`,
      '  hint: start the name with a letter or _, then letters, digits or _ (NAME=value)',
      'converge: 3 problems in denvpos.yaml; nothing was applied',
    ]);
  });

  it('tells each bad name of the map form, and each bad host port, at its own line', async () => {
    const { code, lines } = await validateLines(
      'denvmap.yaml',
      container(`      env:
        A: "1"
        9BAD: "5"
      ports:
        tcp:
          "8080": 80
          "70000": 81
`),
    );
    expect(code).toBe(2);
    expect(lines).toEqual([
      `denvmap.yaml:8:15: docker:container[web]: param 'env': "9BAD" is not a valid environment variable name`,
      '  hint: start the name with a letter or _, then letters, digits or _ (NAME=value)',
      "denvmap.yaml:12:20: docker:container[web]: param 'ports': host port 70000 (tcp) is not a port number from 1 to 65535, alone or after an address",
      expect.stringMatching(/^ {2}hint: map a container port to a host port from 1 to 65535/),
      'converge: 2 problems in denvmap.yaml; nothing was applied',
    ]);
  });
});
