/**
 * The real `dfs` binary against a test server, for the CLI's end-to-end tests: a folder of its
 * own to work in, the environment that points the binary at the server, and runs of it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './server.ts';

export const DFS_BIN = join(import.meta.dirname, '../../bin/dfs.js');

export interface RunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string>;
  /** A folder under the work folder to run in (default: the work folder itself). */
  cwd?: string;
  /** Options for node itself, before the binary (`--import` of a module that changes the process). */
  nodeArgs?: string[];
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
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), DFS_BIN, ...args], { cwd: join(work, options.cwd ?? '.'), env: options.env ?? env, stdio: ['pipe', 'pipe', 'pipe'] });
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


export interface ApiProxy {
  url: string;
  close(): Promise<void>;
}

/** What `before` may answer in the API's place (an error the API did not give). */
export interface ProxyAnswer {
  status: number;
  body: unknown;
}

/**
 * The API behind a forwarding proxy that is told of each request first, and may act before it
 * goes on (another client writing at that very moment, or a test learning how far the CLI got),
 * or answer it in the API's place. `rewrite` may change what a JSON answer says (a server that lies).
 */
export async function startApiProxy(
  target: string,
  before: (path: string) => Promise<ProxyAnswer | void> | ProxyAnswer | void,
  rewrite?: (path: string, answer: any) => unknown,
): Promise<ApiProxy> {
  const proxy = createServer(async (request, response) => {
    const instead = await before(request.url ?? '');
    if (instead) {
      request.resume();
      const body = JSON.stringify(instead.body);
      response.writeHead(instead.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
    const headers = Object.fromEntries(answer.headers);
    if (rewrite && answer.headers.get('content-type')?.includes('application/json')) {
      const body = JSON.stringify(rewrite(request.url ?? '', await answer.json()));
      response.writeHead(answer.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
      return;
    }
    response.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}
