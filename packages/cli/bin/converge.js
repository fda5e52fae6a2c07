#!/usr/bin/env node
// A tracked launcher for the built command. npm links a package's bin only
// when the file exists at install time, and dist/ only exists after a build,
// so the bin must point here for `npx converge` to work after `npm ci`.
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    console.error('converge is not built yet: run `npm run build` in the repository first.');
    process.exit(2);
  }
  throw error;
}
