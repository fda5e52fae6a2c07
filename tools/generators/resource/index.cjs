// `npx nx g @converge/tools:resource NAME`: a new resource plugin package in
// packages/res-NAME that builds and passes its testkit test as generated.
// CommonJS because Nx loads generator factories with require().
const { generateFiles, joinPathFragments, logger, names } = require('@nx/devkit');

/** Kind names the loader accepts for a single-word family (see engine loader/kind-naming.ts). */
const KIND_PATTERN = /^[a-z][a-z0-9-]*$/;

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, description?: string }} options
 */
function resourceGenerator(tree, options) {
  const kind = options.name;
  if (!KIND_PATTERN.test(kind)) {
    throw new Error(`'${kind}' is not a kind name: use lower-case letters, digits and -, starting with a letter (e.g. motd)`);
  }
  const root = joinPathFragments('packages', `res-${kind}`);
  if (tree.exists(root)) throw new Error(`${root} already exists: choose another name or remove it first`);

  const { className, propertyName } = names(kind);
  const description = options.description ?? `Keeps a one-line text file in place (an example ${kind} kind: replace it with yours).`;
  generateFiles(tree, joinPathFragments(__dirname, 'files'), root, {
    kind,
    className,
    propertyName,
    packageName: `@converge/res-${kind}`,
    description,
    // Quoted once here: templates insert these raw (<%- %>), as JSON and TypeScript string literals.
    packageDescriptionJson: JSON.stringify(`The converge ${kind} resource: ${description}`),
    descriptionLiteral: JSON.stringify(description),
    // Template files end in __tmpl__ so that the repository's own tsc and vitest never pick them up.
    tmpl: '',
  });

  return () => {
    logger.info(`Created ${root}. Next:`);
    logger.info('  npm install                          # links the new package into node_modules');
    logger.info(`  npx tsc -b ${root} && (cd ${root} && npx vitest run -c ../../vitest.config.ts)`);
    logger.info('  read docs/writing-a-resource.md to make the example kind your own');
  };
}

module.exports = resourceGenerator;
module.exports.default = resourceGenerator;
