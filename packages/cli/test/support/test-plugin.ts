import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A third-party plugin as a user would write one without TypeScript: plain
 * objects tagged `$$type`, params as a plain JSON schema. Kinds:
 * - `touch`: writes `content` to `path` (proof that something was applied);
 * - `fail`: checkApply always throws;
 * - `hang`: checkApply waits until it is aborted;
 * - `drift`: never as wanted (for --noop): describes the change it would
 *   make, and its watch sends `events` more events, 20 ms apart, after the first;
 * - `linger`: converged, but its cleanup takes a minute (an orderly stop
 *   that is still under way when the next stop signal comes);
 * - `gate`: its init logs `gate waiting`, then waits until a file exists at
 *   `path` (holds the graph's start for as long as a test needs);
 * - `stray`: a bug in a plugin: its first checkApply leaves behind a promise
 *   rejected with `reason` in its message that nothing handles (`how:
 *   reject`) or a timer that throws it (`how: throw`), and succeeds.
 */
const PLUGIN_SOURCE = `
import { access, readFile, writeFile } from 'node:fs/promises';

// With CONVERGE_TEST_IMPORT_GATE=PATH, importing the plugin (while the graph
// loads) writes PATH.reached and waits until PATH exists: a test can signal
// converge at that point.
const importGate = process.env.CONVERGE_TEST_IMPORT_GATE;
if (importGate) {
  await writeFile(importGate + '.reached', '');
  while (!(await access(importGate).then(() => true, () => false))) await new Promise((resolve) => setTimeout(resolve, 20));
}

const touch = {
  $$type: '@converge/resource',
  kind: 'touch',
  params: {
    type: 'object',
    properties: { path: { type: 'string' }, content: { type: 'string' } },
    required: ['path'],
  },
  create(params) {
    let log;
    return {
      init(ctx) {
        log = ctx.log;
        log.info('touch ready', { path: params.path });
      },
      async checkApply(apply) {
        const content = params.content ?? 'touched';
        const current = await readFile(params.path, 'utf8').catch(() => undefined);
        if (current === content) return true;
        if (apply) {
          await writeFile(params.path, content);
          log.info('wrote file', { path: params.path });
        }
        return false;
      },
    };
  },
};

const fail = {
  $$type: '@converge/resource',
  kind: 'fail',
  params: { type: 'object', properties: { reason: { type: 'string' } } },
  create(params) {
    return {
      checkApply() {
        throw new Error(params.reason ?? 'this resource always fails');
      },
    };
  },
};

const hang = {
  $$type: '@converge/resource',
  kind: 'hang',
  params: { type: 'object', properties: {} },
  create() {
    let log;
    return {
      init(ctx) {
        log = ctx.log;
      },
      checkApply(apply, signal) {
        log.info('hanging');
        return new Promise((resolve, reject) => {
          signal.addEventListener('abort', () => reject(new Error('aborted while hanging')), { once: true });
        });
      },
    };
  },
};

const drift = {
  $$type: '@converge/resource',
  kind: 'drift',
  params: { type: 'object', properties: { events: { type: 'integer' } } },
  create(params) {
    let ctx;
    return {
      init(context) {
        ctx = context;
      },
      async watch(signal) {
        ctx.event();
        for (let sent = 0; sent < (params.events ?? 0) && !signal.aborted; sent++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          ctx.event();
        }
        if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      checkApply() {
        return false;
      },
      async describeChange() {
        return 'would set ' + ctx.name + ' right';
      },
    };
  },
};

const linger = {
  $$type: '@converge/resource',
  kind: 'linger',
  params: { type: 'object', properties: {} },
  create() {
    return {
      checkApply() {
        return true;
      },
      cleanup() {
        return new Promise((resolve) => setTimeout(resolve, 60000));
      },
    };
  },
};

const gate = {
  $$type: '@converge/resource',
  kind: 'gate',
  params: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  create(params) {
    return {
      async init(ctx) {
        ctx.log.info('gate waiting', { path: params.path });
        while (!(await access(params.path).then(() => true, () => false))) await new Promise((resolve) => setTimeout(resolve, 20));
      },
      checkApply() {
        return true;
      },
    };
  },
};

const stray = {
  $$type: '@converge/resource',
  kind: 'stray',
  params: { type: 'object', properties: { reason: { type: 'string' }, how: { enum: ['reject', 'throw'] } }, required: ['how'] },
  create(params) {
    let done = false;
    return {
      checkApply() {
        if (done) return true;
        done = true;
        const error = new Error('stray error: ' + (params.reason ?? ''));
        if (params.how === 'throw') setTimeout(() => { throw error; }, 10);
        else Promise.reject(error);
        return true;
      },
    };
  },
};

export default { $$type: '@converge/plugin', name: 'converge-test-plugin', resources: [touch, fail, hang, drift, linger, gate, stray] };
`;

/** Writes the plugin package into `<dir>/converge-test-plugin` and returns that folder. */
export async function writeTestPlugin(dir: string): Promise<string> {
  const folder = join(dir, 'converge-test-plugin');
  await mkdir(folder, { recursive: true });
  const manifest = {
    name: 'converge-test-plugin',
    version: '1.0.0',
    type: 'module',
    main: './index.js',
    exports: { '.': './index.js', './package.json': './package.json' },
    converge: { kinds: ['touch', 'fail', 'hang', 'drift', 'linger', 'gate', 'stray'], engineApi: '^1.0.0' },
  };
  await writeFile(join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(folder, 'index.js'), PLUGIN_SOURCE);
  return folder;
}
