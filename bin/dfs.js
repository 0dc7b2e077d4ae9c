#!/usr/bin/env node
// Installed copies, and Nodes that cannot strip types, run the compiled CLI (dist/, built by
// `prepare`); a checkout on Node 24 runs the sources directly, so it is never stale.
const compiled = import.meta.url.includes('/node_modules/') || !process.features.typescript;
const entry = compiled ? '../dist/cli/main.js' : '../src/cli/main.ts';
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(process.argv);
