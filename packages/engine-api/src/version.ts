/**
 * The version of the resource contract this package describes. The engine
 * checks a plugin's declared `engineApi` range against it before loading the
 * plugin; it follows semver: a minor version adds, a major version breaks.
 */
export const ENGINE_API_VERSION = '1.18.0';
