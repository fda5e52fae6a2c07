#!/usr/bin/env node
// Adds up every package's vitest JSON report (packages/*/.test-results/vitest.json)
// and prints one final line: `tests: N passed, N failed, N skipped`.
// Exits 1 when a test failed or when no test ran at all (a broken runner
// must not look like a green build).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packagesDir = join(root, 'packages');

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSuites = [];
for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  const report = join(packagesDir, entry.name, '.test-results', 'vitest.json');
  if (!existsSync(report)) continue;
  const result = JSON.parse(readFileSync(report, 'utf8'));
  totals.passed += result.numPassedTests ?? 0;
  totals.failed += result.numFailedTests ?? 0;
  totals.skipped += (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
  // A file that fails to load has no failed tests but a failed suite.
  if ((result.numFailedTestSuites ?? 0) > 0) failedSuites.push(entry.name);
}

if (failedSuites.length > 0) console.log(`test files that failed to run in: ${failedSuites.join(', ')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
const ran = totals.passed + totals.failed;
process.exit(totals.failed > 0 || failedSuites.length > 0 || ran === 0 ? 1 : 0);
