export { MAX_LINK_HOPS, linkChainOf } from './link-chain.js';
export { normalizePath } from './normalize.js';
export { SYSTEM_LINKS, SystemLinks, hostSystemLinks, isTrustedSystemLink, systemPath, throughSystemLinks } from './system-links.js';
