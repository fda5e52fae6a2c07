import { defineConfig } from 'vitest/config';

// One test configuration for every package: each package's `test` script runs
// vitest from its own folder with this file, so results land in that package.
export default defineConfig({
  test: {
    root: process.cwd(),
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    pool: 'forks',
  },
});
