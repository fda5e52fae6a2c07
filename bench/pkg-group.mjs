// res-pkg: installing 5 small packages as one group (one PackageKit
// transaction) against one resource per package (one transaction each),
// through the real packagekitd on the system bus. Needs root and
// tools/ci/setup/20-dbus-packagekit.sh. Removes the packages again.
// Usage: node bench/pkg-group.mjs [rounds]
import { cpus } from 'node:os';
import { applyPackages } from '@converge/res-pkg';

const PACKAGES = ['sl', 'cmatrix', 'ninvaders', 'sysvbanner', 'rolldice'];
const rounds = Number(process.argv[2] ?? 2);

async function timed(action) {
  const start = performance.now();
  const transactions = await action();
  return { ms: performance.now() - start, transactions };
}

const grouped = () => applyPackages(PACKAGES, 'installed').then((outcome) => outcome.transactions);
async function ungrouped() {
  let transactions = 0;
  for (const name of PACKAGES) transactions += (await applyPackages([name], 'installed')).transactions;
  return transactions;
}
const removeAll = () => applyPackages(PACKAGES, 'uninstalled');

const results = { grouped: [], ungrouped: [] };
await removeAll();
for (let round = 0; round < rounds; round += 1) {
  for (const [name, action] of [['grouped', grouped], ['ungrouped', ungrouped]]) {
    results[name].push(await timed(action));
    await removeAll();
  }
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
console.log(`${PACKAGES.length} packages (${PACKAGES.join(', ')}), ${rounds} round(s), ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| mode | PackageKit transactions (incl. Resolve) | mean install time |');
console.log('|---|---|---|');
for (const [name, runs] of Object.entries(results)) {
  console.log(`| ${name} | ${runs[0].transactions} | ${(mean(runs.map((run) => run.ms)) / 1000).toFixed(1)} s |`);
}
