export { lookup } from './lookup.js';
export { localEntryOf } from './local-accounts.js';
export type { LocalIdFiles } from './local-accounts.js';
export { MAX_ID } from './entry.js';
export type { Database, Entry } from './entry.js';
