#!/usr/bin/env node
// An installed package runs the compiled CLI (Node strips no TypeScript under node_modules);
// a checkout runs the sources directly, so it is never stale.
const installed = import.meta.url.includes('/node_modules/');
const entry = installed ? '../dist/cli/main.js' : '../src/cli/main.ts';
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(process.argv);
