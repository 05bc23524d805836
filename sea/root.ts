// Where the single-file executable's modules see themselves: a directory that exists nowhere. Reads under it are
// answered from the executable's assets (sea/entry.ts), which sea/build.ts fills with the files the modules read.

/** The directory the bundled modules are placed in, as `import.meta.url` tells them. */
export const SEA_ROOT = '/envoy-doctor-sea';

/** The `import.meta.url` of every bundled module: a module two levels below the root, as `dist/cli/main.js` is. */
export const SEA_MODULE_URL = `file://${SEA_ROOT}/dist/cli/main.js`;
