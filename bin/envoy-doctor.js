#!/usr/bin/env node
// envoy-doctor entry point: checks the Node.js version, then runs the compiled CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `envoy-doctor: needs Node.js >= 22.19, this is ${process.versions.node}; run it through npm (npm run envoy-doctor -- ...) or install a newer Node.js\n`,
  );
  process.exit(1);
}
// V8's compiled code of the modules is kept between runs (node-compile-cache in the temp directory, about 1 MB), so a
// start after the first skips compiling them; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(await import('node:module')).enableCompileCache?.();
const { setFlagsFromString } = await import('node:v8');
const { V8_FLAGS, restartWithStartFlags } = await import('../dist/cli/v8-flags.js');
// analyze and diagnose restart once with the V8 settings Node.js takes only at start (V8_START_FLAGS): the same
// process, Node's flags, this script and its arguments, NODE_OPTIONS extended.
restartWithStartFlags(process.argv.slice(2), [...process.execArgv, ...process.argv.slice(1)]);
for (const flag of V8_FLAGS) setFlagsFromString(flag);
const { runAsProcess } = await import('../dist/cli/process.js');
process.exitCode = await runAsProcess();
