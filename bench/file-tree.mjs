// A tree of managed directories with managed files in its leaves, as plain
// data (for the plain-fs baseline) and as a graph in mgmt's YAML format (for
// the engine). Shared by files.mjs, drift.mjs and autoedge.mjs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FILE_MODE = 0o640;
export const DIR_MODE = 0o755;

/**
 * `count` files, `perDir` in each leaf directory; the leaves sit `levels`
 * directories below `root`, at most `branching` children per directory.
 * Returns the directories (parents before children) and the files.
 */
export function fileTree(root, count, { perDir = 100, levels = 1, branching = Math.ceil(count / perDir) } = {}) {
  const leaves = Math.ceil(count / perDir);
  if (leaves > branching ** levels) throw new Error(`${leaves} leaf directories do not fit ${levels} levels of ${branching}`);
  const dirs = [root];
  const seen = new Set(dirs);
  const files = [];
  for (let leaf = 0; leaf < leaves; leaf++) {
    let dir = root;
    let rest = leaf;
    const digits = [];
    for (let level = 0; level < levels; level++) {
      digits.unshift(rest % branching);
      rest = Math.floor(rest / branching);
    }
    for (const [level, digit] of digits.entries()) {
      dir = join(dir, `l${level}-${digit}`);
      if (!seen.has(dir)) {
        seen.add(dir);
        dirs.push(dir);
      }
    }
    for (let i = leaf * perDir; i < Math.min(count, (leaf + 1) * perDir); i++) {
      files.push({ path: join(dir, `f${i}.conf`), content: `setting_${i} = ${i * 7919}\n` });
    }
  }
  return { dirs, files };
}

/** The tree as a graph: every directory and file is a `file` resource. */
export function fileTreeYaml(tree, extra = '') {
  const lines = ['graph: files', 'resources:', '  file:'];
  for (const dir of tree.dirs) {
    lines.push(`  - name: ${JSON.stringify(`${dir}/`)}`, '    state: exists', `    mode: "0${DIR_MODE.toString(8)}"`);
  }
  for (const file of tree.files) {
    lines.push(
      `  - name: ${JSON.stringify(file.path)}`,
      '    state: exists',
      `    mode: "0${FILE_MODE.toString(8)}"`,
      `    content: ${JSON.stringify(file.content)}`,
    );
  }
  return `${lines.join('\n')}\n${extra}`;
}

export function writeFileTreeGraph(graphFile, tree, extra = '') {
  writeFileSync(graphFile, fileTreeYaml(tree, extra));
}
