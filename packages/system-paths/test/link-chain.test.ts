import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkChainOf } from '../src/index.js';

// Real links in a folder made here: the chain is what the kernel reads.
let root = '';
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'link-chain-')));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const at = (path: string) => join(root, path);

describe('linkChainOf', () => {
  it('gives each hop of a chain of two, as the links say it, then the real path once', () => {
    mkdirSync(at('cur'));
    mkdirSync(at('hop'));
    mkdirSync(at('versions'));
    writeFileSync(at('versions/v1.conf'), 'one');
    symlinkSync('../hop/h.conf', at('cur/app.conf'));
    symlinkSync('../versions/v1.conf', at('hop/h.conf'));
    // The last hop is the real path: told once.
    expect(linkChainOf(at('cur/app.conf'))).toEqual([at('hop/h.conf'), at('versions/v1.conf')]);
  });

  it('ends a dangling link at its last hop, where its target will appear', () => {
    symlinkSync('middle', at('link'));
    symlinkSync('gone/target', at('middle'));
    expect(linkChainOf(at('link'))).toEqual([at('middle'), at('gone/target')]);
  });

  it('reads a loop round once, with no real path (ELOOP)', () => {
    symlinkSync('b', at('a'));
    symlinkSync('c', at('b'));
    symlinkSync('b', at('c'));
    expect(linkChainOf(at('a'))).toEqual([at('b'), at('c')]);
    // A loop back to the link itself has it among its hops.
    symlinkSync('self-too', at('self'));
    symlinkSync('self', at('self-too'));
    expect(linkChainOf(at('self'))).toEqual([at('self-too'), at('self')]);
  });

  it('gives nothing for a file, a folder or nothing at all', () => {
    writeFileSync(at('file'), '');
    mkdirSync(at('folder'));
    expect(linkChainOf(at('file'))).toEqual([]);
    expect(linkChainOf(at('folder'))).toEqual([]);
    expect(linkChainOf(at('missing'))).toEqual([]);
  });

  it('adds the real path where a folder on the way is itself a link', () => {
    mkdirSync(at('releases/v2'), { recursive: true });
    writeFileSync(at('releases/v2/app.conf'), 'two');
    symlinkSync('releases/v2', at('current'));
    symlinkSync('current/app.conf', at('app.conf'));
    // The hop as the link says it, then where its content really is.
    expect(linkChainOf(at('app.conf'))).toEqual([at('current/app.conf'), at('releases/v2/app.conf')]);
  });
});
