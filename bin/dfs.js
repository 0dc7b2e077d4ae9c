#!/usr/bin/env node
// V8's compiled code for the CLI's modules, kept on disk (in the system's temporary folder) by
// Node, so later starts compile less: `dfs --version` 77-84 -> 72-79 ms (docs/benchmarks.md).
process.getBuiltinModule('node:module').enableCompileCache?.();
// Installed copies, and Nodes that cannot strip types, run the compiled CLI (dist/, built by
// `prepare`); a checkout on Node 24 runs the sources directly, so it is never stale.
const compiled = import.meta.url.includes('/node_modules/') || !process.features.typescript;
const entry = compiled ? '../dist/cli/main.js' : '../src/cli/main.ts';
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(process.argv);
