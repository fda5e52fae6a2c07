import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINE_API_VERSION } from '../src/index.js';

describe('ENGINE_API_VERSION', () => {
  // Plugins are checked against this constant, not against package.json: a
  // release that adds to the contract must raise both, or a plugin that
  // needs the addition would load into an engine that lacks it.
  it('is the version of the engine-api package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(ENGINE_API_VERSION).toBe(pkg.version);
  });
});
