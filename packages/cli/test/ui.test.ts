import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LIVE_DRAWING_MAX_RESOURCES } from '../src/ui/live-view-model.js';
import { writeBigGraph } from './support/big-graph.js';
import { chromiumAvailable, launchChromium } from './support/browser.js';
import { announcedUrl, recordStream, until } from './support/http.js';
import { killAll, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

const SCREENSHOT = fileURLToPath(new URL('../.test-results/ui.png', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  killAll();
  await removeTempDirs();
});

/** Contents that must never reach the page: params may hold secrets. */
const SECRET_A = 'secret-content-of-a-7f3e';
const SECRET_B = 'secret-content-of-b-91c2';
const SECRET_C = 'secret-content-of-c-0d5a';

function graphYaml(dir: string, withC: boolean): string {
  const files = [
    `  - name: ${dir}/site/\n    state: exists`,
    `  - name: ${dir}/site/a.txt\n    state: exists\n    content: ${SECRET_A}`,
    `  - name: ${dir}/site/b.txt\n    state: exists\n    content: ${SECRET_B}`,
    ...(withC ? [`  - name: ${dir}/site/c.txt\n    state: exists\n    content: ${SECRET_C}`] : []),
  ];
  return `graph: web-view
resources:
  file:
${files.join('\n')}
  exec:
  - name: publish
    cmd: /bin/false
edges:
- name: a-then-publish
  from: {kind: file, name: ${dir}/site/a.txt}
  to: {kind: exec, name: publish}
- name: b-notifies-publish
  from: {kind: file, name: ${dir}/site/b.txt}
  to: {kind: exec, name: publish}
  notify: true
`;
}

const row = (id: string, state?: string): string => `#resources tr[data-id="${id}"]${state ? `[data-state="${state}"]` : ''}`;
const box = (id: string, state?: string): string => `#graph g.resource[data-id="${id}"]${state ? `[data-state="${state}"]` : ''}`;

describe.runIf(chromiumAvailable())('converge run --ui', () => {
  it('shows the running graph with live states in a real browser, and never a param value', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, graphYaml(dir, false));
    const a = `file[${dir}/site/a.txt]`;
    const c = `file[${dir}/site/c.txt]`;

    const cli = startCli(['run', '--tmp-prefix', '--ui', '127.0.0.1:0', graph]);
    const url = await announcedUrl(cli, 'web view');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const events = recordStream(`${url}/events`);
    cleanups.push(events.close);
    const browser = await launchChromium();
    cleanups.push(browser.close);
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url);

    // The graph: every resource a box, with its state; the failure with its message.
    await page.locator(row(a, 'converged')).waitFor();
    await page.locator(row(`file[${dir}/site/]`, 'converged')).waitFor();
    await page.locator(row('exec[publish]', 'failed')).waitFor();
    await page.locator(box('exec[publish]', 'failed')).waitFor();
    await page.locator(box(a, 'converged')).waitFor();
    expect(await page.locator(`${row('exec[publish]')} td.error`).textContent()).toContain('/bin/false exited with code 1');
    expect(await page.locator('#graph g.edge.auto').count()).toBe(2); // site/ → a.txt, site/ → b.txt
    expect(await page.locator('#graph g.edge.notify').count()).toBe(1);
    expect(await page.locator('#connection').getAttribute('data-connected')).toBe('true');
    expect(await page.locator(`${row(a)} td.changes`).textContent()).toBe('1');

    // Drift: the file is put back, and the page counts the change.
    await writeFile(`${dir}/site/a.txt`, 'drifted\n');
    await until(async () => (await page.locator(`${row(a)} td.changes`).textContent()) === '2', 'the page to show a second change');
    expect(await readFile(`${dir}/site/a.txt`, 'utf8')).toBe(SECRET_A);
    await page.locator(row(a, 'converged')).waitFor();

    // A graph swap (the file is edited): the new resource appears.
    await writeFile(graph, graphYaml(dir, true));
    await page.locator(box(c, 'converged')).waitFor();
    await page.locator(row(c, 'converged')).waitFor();
    await page.locator(row('exec[publish]', 'failed')).waitFor();

    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const html = await page.content();
    const stream = events.text();
    expect(stream).toContain('event: graph');
    expect(stream).toContain('event: status');
    expect(stream).toContain(c);
    for (const secret of [SECRET_A, SECRET_B, SECRET_C]) {
      expect(html).not.toContain(secret);
      expect(stream).not.toContain(secret);
    }
    expect(pageErrors).toEqual([]);

    cli.child.kill('SIGINT');
    expect((await cli.result).code).toBe(1); // exec[publish] failed
    await events.close();
  }, 90_000);

  it('shows what a dry run would change as such, with no change counted, and says the graph is not as it says (QA: green, "converged", 1 change)', async () => {
    const dir = await makeTempDir();
    const missing = `file[${dir}/missing.txt]`;
    const present = `file[${dir}/present.txt]`;
    await writeFile(`${dir}/present.txt`, 'as wanted\n');
    const graph = join(dir, 'graph.yaml');
    await writeFile(
      graph,
      `graph: dry\nresources:\n  file:\n  - name: ${dir}/missing.txt\n    state: exists\n    content: "new\\n"\n  - name: ${dir}/present.txt\n    state: exists\n    content: "as wanted\\n"\n`,
    );
    const cli = startCli(['run', '--noop', '--tmp-prefix', '--converger-timeout', '0', '--ui', '127.0.0.1:0', graph]);
    const url = await announcedUrl(cli, 'web view');
    const browser = await launchChromium();
    cleanups.push(browser.close);
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.locator(row(missing, 'would change')).waitFor();
    await page.locator(box(missing, 'would change')).waitFor();
    await page.locator(row(present, 'converged')).waitFor();
    expect(await page.locator(`${row(missing)} td.changes`).textContent()).toBe('0');
    await until(async () => (await page.locator('#converged').getAttribute('data-converged')) === 'partly', 'the badge to say converged, but not as the graph says');
    expect(await page.locator('#converged').textContent()).toBe('converged, but not as the graph says');
    cli.child.kill('SIGINT');
    await cli.result;
  }, 60_000);

  it('says converged detection is off without --converger-timeout, as the README runs it, and shows converged with one (QA: all green, "not converged")', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, `graph: green\nresources:\n  file:\n  - name: ${dir}/a.txt\n    state: exists\n    content: "a\\n"\n`);
    const a = `file[${dir}/a.txt]`;
    const browser = await launchChromium();
    cleanups.push(browser.close);

    const badgeOf = async (timeout: readonly string[]): Promise<{ shown: string | null; text: string | null; stream: string; stderr: string }> => {
      const cli = startCli(['run', '--tmp-prefix', ...timeout, '--ui', '127.0.0.1:0', '--prometheus', '127.0.0.1:0', graph]);
      const url = await announcedUrl(cli, 'web view');
      const events = recordStream(`${url}/events`);
      const page = await browser.context.newPage();
      await page.goto(url);
      await page.locator(row(a, 'converged')).waitFor();
      if (timeout.length > 0) await until(async () => (await page.locator('#converged').getAttribute('data-converged')) === 'true', 'the badge to say converged');
      const badge = { shown: await page.locator('#converged').getAttribute('data-converged'), text: await page.locator('#converged').textContent() };
      await page.close();
      await events.close();
      cli.child.kill('SIGINT');
      const result = await cli.result;
      return { ...badge, stream: events.text(), stderr: result.stderr };
    };

    const off = await badgeOf([]);
    expect(off.shown).toBe('off');
    expect(off.text).toBe('converged detection off (run with --converger-timeout N)');
    expect(off.stream).toContain('"convergedDetection":false');
    expect(off.stderr).toContain('converged detection is off (no --converger-timeout, as mgmt\'s default): the web view says so and converge_converged stays 0');

    const on = await badgeOf(['--converger-timeout', '0']);
    expect(on.shown).toBe('true');
    expect(on.text).toBe('converged');
    expect(on.stream).toContain('"convergedDetection":true');
    expect(on.stderr).not.toContain('converged detection is off');
  }, 90_000);

  it('paints the box of a name with a newline, shown escaped, and draws the order through a hidden resource (QA)', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(
      graph,
      [
        'graph: escaped',
        'resources:',
        '  noop:',
        '  - {name: "new\\nline", meta: {autogroup: false}}',
        "  - {name: 'new\\nline', meta: {autogroup: false}}",
        '  - {name: hidden, meta: {hidden: true, autogroup: false}}',
        'edges:',
        '- {from: {kind: noop, name: "new\\nline"}, to: {kind: noop, name: hidden}}',
        "- {from: {kind: noop, name: hidden}, to: {kind: noop, name: 'new\\nline'}}",
        '',
      ].join('\n'),
    );
    const cli = startCli(['run', '--tmp-prefix', '--ui', '127.0.0.1:0', graph]);
    const url = await announcedUrl(cli, 'web view');
    const browser = await launchChromium();
    cleanups.push(browser.close);
    const page = await browser.context.newPage();
    await page.goto(url);

    // Boxes carry the id as shown (escapes told apart): each is painted, and the table writes the same. (A CSS string reads a backslash as an escape.)
    const shownBox = (shownId: string): string => box(shownId.replace(/\\/g, '\\\\'), 'converged');
    await page.locator(shownBox('noop[new\\\\nline]')).waitFor();
    await page.locator(shownBox('noop[new\\nline]')).waitFor();
    expect((await page.locator('#resources td.id').allTextContents()).sort()).toEqual(['noop[new\\\\nline]', 'noop[new\\nline]']);
    const through = page.locator('#graph g.edge.through-hidden');
    expect(await through.count()).toBe(1);
    expect([await through.getAttribute('data-from'), await through.getAttribute('data-to')]).toEqual(['noop[new\\nline]', 'noop[new\\\\nline]']);
    cli.child.kill('SIGINT');
    await cli.result;
  }, 60_000);

  it('answers only to loopback host names, and refuses an address in use', async () => {
    const dir = await makeTempDir();
    const graph = join(dir, 'graph.yaml');
    await writeFile(graph, graphYaml(dir, false));
    const cli = startCli(['run', '--tmp-prefix', '--ui', '0', graph]);
    const url = await announcedUrl(cli, 'web view');
    const port = new URL(url).port;

    // A page elsewhere cannot reach the view by pointing its own name at 127.0.0.1 (DNS rebinding).
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', headers: { host: `attacker.example:${port}` } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
    expect((await fetch(`${url}/`)).headers.get('content-security-policy')).toContain("script-src 'self'");

    const second = startCli(['run', '--tmp-prefix', '--ui', `127.0.0.1:${port}`, graph]);
    const result = await second.result;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot serve the web view on 127.0.0.1:${port}`);
    cli.child.kill('SIGINT');
    await cli.result;
  }, 60_000);
});

describe('converge run --ui with a graph too large to draw', () => {
  it('sends the table without a picture, saying how many resources there are (QA: 5,060 made a picture 1,391,372 pixels wide, in a first message of 3 MB)', async () => {
    const dir = await makeTempDir();
    const { graph } = await writeBigGraph(dir, LIVE_DRAWING_MAX_RESOURCES + 100);
    const cli = startCli(['run', '--tmp-prefix', '--ui', '127.0.0.1:0', graph]);
    const url = await announcedUrl(cli, 'web view');
    const events = recordStream(`${url}/events`);
    cleanups.push(events.close);
    await until(async () => /event: graph\ndata: .*\n\n/.test(events.text()), 'the first graph event');
    const data = /event: graph\ndata: (.*)\n\n/.exec(events.text())?.[1] ?? '';
    const snapshot = JSON.parse(data) as { svg: string; tooLargeToDraw?: number; statuses: unknown[] };
    expect(snapshot.svg).toBe('');
    // The 400 files, and the noops autogrouped into one.
    expect(snapshot.tooLargeToDraw).toBe(LIVE_DRAWING_MAX_RESOURCES + 101);
    expect(snapshot.statuses.length).toBeGreaterThanOrEqual(LIVE_DRAWING_MAX_RESOURCES + 100);
    expect(data.length).toBeLessThan(100_000);
    cli.child.kill('SIGINT');
    await cli.result;
  }, 60_000);
});
