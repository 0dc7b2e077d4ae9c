#!/usr/bin/env node
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// An older Node fails on the first API it lacks, with a stack trace that names none of this.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`dfs: needs Node 24 or later; this is Node ${process.versions.node} (${process.execPath})`);
  process.exit(1);
}

// Every command starts a process: code compiled once is kept for the next (from a checkout,
// 175-190 -> 80-100 ms a start). In the user's own cache, not a shared temporary folder where
// another user could leave compiled code for this one to run.
module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dfs', 'compile-cache'));
// Installed copies, and Nodes that cannot strip types, run the compiled CLI (dist/, built by
// `prepare`); a checkout on Node 24 runs the sources directly, so it is never stale.
const compiled = import.meta.url.includes('/node_modules/') || !process.features.typescript;
const entry = compiled ? '../dist/cli/main.js' : '../src/cli/main.ts';
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(process.argv);
