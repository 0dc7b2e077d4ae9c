/**
 * The real `dfs` binary against a test server, for the CLI's end-to-end tests: a folder of its
 * own to work in, the environment that points the binary at the server, and runs of it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './server.ts';

export const DFS_BIN = join(import.meta.dirname, '../../bin/dfs.js');

export interface RunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string>;
  /** A folder under the work folder to run in (default: the work folder itself). */
  cwd?: string;
}

export interface Run {
  code: number | null;
  stdout: string;
  bytes: Uint8Array<ArrayBuffer>;
  stderr: string;
  json: () => any;
}

export interface CliHarness {
  server: TestServer;
  work: string;
  env: Record<string, string>;
  /**
   * Starts the binary without blocking (the server under test lives in this process); `child`
   * is there for tests that interrupt it, `done` resolves with what it printed once it exits.
   */
  start(args: string[], options?: RunOptions): { child: ChildProcessWithoutNullStreams; done: Promise<Run> };
  dfs(args: string[], options?: RunOptions): Promise<Run>;
  close(): Promise<void>;
}

export async function startCli(name: string): Promise<CliHarness> {
  const server = await startTestServer();
  const work = await mkdtemp(join(tmpdir(), `dfs-${name}-`));
  const env = {
    ...(process.env as Record<string, string>),
    DFS_ENDPOINT: server.url,
    DFS_TOKEN: server.adminToken,
    XDG_CONFIG_HOME: join(work, 'config'),
    XDG_CACHE_HOME: join(work, 'cache'),
  };
  const start = (args: string[], options: RunOptions = {}) => {
    const child = spawn(process.execPath, [DFS_BIN, ...args], { cwd: join(work, options.cwd ?? '.'), env: options.env ?? env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    const done = new Promise<Run>((resolve) => {
      child.once('close', (code) => {
        const all = Buffer.concat(stdout);
        const text = all.toString();
        resolve({ code, stdout: text, bytes: new Uint8Array(all), stderr, json: () => JSON.parse(text) });
      });
    });
    return { child, done };
  };
  return {
    server,
    work,
    env,
    start,
    dfs: (args, options) => start(args, options).done,
    close: async () => {
      await server.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
