// V8 settings the command runs with, set by bin/envoy-doctor.js before the other modules load (NODE_OPTIONS cannot
// carry them) and by the benchmarks, which measure the same process the command is.

/**
 * Large inputs are streamed, which makes short-lived garbage fast, and V8 may let its heap grow to four times what
 * is live before a full collection. Growing it by at most half keeps the peak near what is kept
 * (docs/performance.md).
 */
export const V8_FLAGS = ['--heap-growing-percent=50'] as const;
