#!/usr/bin/env node
// envoy-doctor entry point: checks the Node.js version, then runs the compiled CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`envoy-doctor: needs Node.js >= 22.19, this is ${process.versions.node}; run it through npm (npm run envoy-doctor -- ...) or install a newer Node.js\n`);
  process.exit(1);
}
// Large inputs are streamed, which makes short-lived garbage fast, and V8 may let its heap grow to four times what is
// live before a full collection. Growing it by at most half keeps the peak near what is kept (docs/performance.md).
// The flag is set before the modules load; NODE_OPTIONS cannot carry it.
const { setFlagsFromString } = await import('node:v8');
setFlagsFromString('--heap-growing-percent=50');
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
  env: process.env,
});
