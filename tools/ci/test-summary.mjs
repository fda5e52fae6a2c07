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
// Named again at the very end, as CI keeps only the tail of a long log.
const failures = [];
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
  for (const file of result.testResults ?? []) {
    const where = `${entry.name}/${file.name.slice(file.name.indexOf('/test/') + 1)}`;
    const failedTests = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failedTests) failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    if (file.status === 'failed' && failedTests.length === 0) failures.push(`${where}: ${firstLine(file.message)}`);
  }
}

function firstLine(text) {
  return (text ?? '').split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 400) ?? '';
}

for (const failure of failures) console.log(`failed: ${failure}`);
if (failedSuites.length > 0) console.log(`packages with a failed test file: ${failedSuites.join(', ')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
const ran = totals.passed + totals.failed;
process.exit(totals.failed > 0 || failedSuites.length > 0 || ran === 0 ? 1 : 0);
