import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

// kill -9 during a 1,000-file apply, 20 times. Every version of the graph
// rewrites every file (the version is in the content), so each kill lands in
// the middle of real writes. A `trigger` file notifies a refreshonly exec
// that appends the trigger's content to a marker: after the final run the
// marker's last line must be the final version, i.e. every change of the
// trigger was followed by its refresh, however the kills fell.

const FILES = 1_000;
const KILLS = 20;
const FILE_BYTES = 4_096;

afterEach(async () => {
  killAll();
  await removeTempDirs();
});

function fileName(index: number): string {
  return `f${String(index).padStart(4, '0')}`;
}

/** The full content of file `index` in graph version `version`: one line, padded to 4 KiB. */
function contentOf(version: number, index: number): string {
  const head = `v${version} ${fileName(index)} `;
  return `${head}${'x'.repeat(FILE_BYTES - head.length - 1)}\n`;
}

function graphOf(version: number, out: string, marker: string): string {
  const lines = ['graph: crash', 'resources:', '  file:'];
  for (let index = 0; index < FILES; index++) {
    lines.push(`  - name: ${join(out, fileName(index))}`, '    state: exists', `    content: ${JSON.stringify(contentOf(version, index))}`);
  }
  lines.push(
    `  - name: ${join(out, 'trigger')}`,
    '    state: exists',
    `    content: "version ${version}\\n"`,
    '  exec:',
    '  - name: on-trigger',
    `    cmd: cat ${join(out, 'trigger')} >> ${marker}`,
    '    shell: /bin/sh',
    '    refreshonly: true',
    'edges:',
    '- name: trigger-notifies',
    `  from: {kind: file, name: ${join(out, 'trigger')}}`,
    '  to: {kind: exec, name: on-trigger}',
    '  notify: true',
  );
  return `${lines.join('\n')}\n`;
}

/** res-file's temp names: `.NAME.converge-<12 hex>.tmp`, created O_EXCL beside the target. */
const TEMP_NAME = /^\.(f\d{4}|trigger)\.converge-[0-9a-f]{12}\.tmp$/;

/** Every managed file is absent or exactly one version's content; nothing else but res-file temp files. */
async function checkNoTornFiles(out: string, upToVersion: number): Promise<string[]> {
  const problems: string[] = [];
  const temps: string[] = [];
  for (const name of await readdir(out)) {
    if (TEMP_NAME.test(name)) {
      temps.push(name);
      continue;
    }
    if (name === 'trigger') {
      const text = await readFile(join(out, name), 'utf8');
      if (!/^version \d+\n$/.test(text)) problems.push(`trigger holds ${JSON.stringify(text)}`);
      continue;
    }
    const match = /^f(\d{4})$/.exec(name);
    if (!match) {
      problems.push(`unexpected entry ${name}`);
      continue;
    }
    const text = await readFile(join(out, name), 'utf8');
    const version = Number(/^v(\d+) /.exec(text)?.[1] ?? Number.NaN);
    if (!(version >= 1 && version <= upToVersion) || text !== contentOf(version, Number(match[1]))) {
      problems.push(`${name} is torn: ${text.length} bytes, starts ${JSON.stringify(text.slice(0, 20))}`);
    }
  }
  expect(problems).toEqual([]);
  return temps;
}

describe('kill -9 during a 1,000-file apply', () => {
  it('never leaves a torn file; the next run converges and delivers the pending refresh', async () => {
    const dir = await makeTempDir();
    const out = join(dir, 'out');
    const state = join(dir, 'state');
    const marker = join(dir, 'marker');
    const graph = join(dir, 'graph.yaml');
    await mkdir(out);
    const args = ['run', '--prefix', state, '--no-watch', '--converger-timeout=0', '--converged-exit', graph];
    let killedMidApply = 0;

    for (let kill = 1; kill <= KILLS; kill++) {
      await writeFile(graph, graphOf(kill, out, marker));
      const cli = startCli(args);
      // Half the kills at a moment after start (10..400 ms: often before or
      // early in the apply), half 0..400 ms after the first change was logged.
      if (kill % 2 === 1) await sleep(10 + Math.floor(Math.random() * 390));
      else {
        await cli.waitFor(/changed/, 20_000).catch(() => undefined);
        await sleep(Math.floor(Math.random() * 400));
      }
      cli.child.kill('SIGKILL');
      const result = await cli.result;
      if (result.signal === 'SIGKILL') killedMidApply++;
      await checkNoTornFiles(out, kill);
    }
    // Most kills must land before the run finished, or this tests nothing.
    expect(killedMidApply).toBeGreaterThanOrEqual(KILLS / 2);

    await checkNoTornFiles(out, KILLS);
    const final = await runCli(args, { timeoutMs: 60_000 });
    expect(final.code, final.stderr).toBe(0);

    for (let index = 0; index < FILES; index++) {
      expect(await readFile(join(out, fileName(index)), 'utf8')).toBe(contentOf(KILLS, index));
    }
    // Temp files left by the kills were never renamed over their targets
    // (each target holds the final version), and the final run's writes
    // swept them away.
    expect(await checkNoTornFiles(out, KILLS)).toEqual([]);
    const markerLines = (await readFile(marker, 'utf8')).trimEnd().split('\n');
    expect(markerLines.at(-1)).toBe(`version ${KILLS}`);
    expect(await readdir(join(state, 'refresh'))).toEqual([]);
  }, 150_000);
});
