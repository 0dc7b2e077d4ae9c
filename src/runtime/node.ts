/**
 * The Node entry point: reads the environment, wires SQLite (or the configured path) and S3
 * (or the embedded S3 server), serves HTTP or HTTPS, and runs cleanup on an interval.
 */
import { serve } from '@hono/node-server';
import { mkdir } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from '../core/access.ts';
import { runCleanup } from '../core/cleanup.ts';
import type { DfsContext } from '../core/context.ts';
import { createApp } from '../http/app.ts';
import type { DfsApp, RequestLogEntry } from '../http/env.ts';
import { openSqliteIndex } from '../index/sqlite-driver.ts';
import { nodeSigningCrypto } from '../store/node-signing-crypto.ts';
import { S3ObjectStore } from '../store/s3-object-store.ts';
import { resolveAdminToken, type AdminToken } from './admin-token.ts';
import { parseConfig, type Config, type Env, type S3Config } from './config.ts';
import { startEmbeddedS3 } from './embedded-s3.ts';
import { embeddedCredentials } from './embedded-s3-credentials.ts';
import { drainable, passed } from './graceful-close.ts';
import { lockIndex } from './index-lock.ts';
import { listenRefused } from './listen-errors.ts';
import { readTlsPair, type TlsPair } from './tls-files.ts';
import { uiAssets } from './ui-assets.ts';
import { repeatEvery } from './repeating-job.ts';
import { answerUnparsedRequests } from './unparsed-requests.ts';
import { urlHost } from './url-host.ts';

export interface RunningServer {
  /** The API's base URL, e.g. http://127.0.0.1:8787. */
  url: string;
  /** The admin secret when this process knows it (configured, generated or read from the data dir). */
  adminToken: string | null;
  config: Config;
  ctx: DfsContext;
  app: DfsApp;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  /** Print the banner (URL, and the admin token when it was just generated) to stderr. */
  banner?: boolean;
}

const EMBEDDED_BUCKET = 'dfs';

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = parseConfig(options.env ?? process.env);
  // Each closer gets the stop's one deadline. The API goes first: its requests under way may
  // still need the embedded store, whose own requests then have what is left of the grace.
  const closers: ((deadline: AbortSignal) => Promise<void> | void)[] = [];
  // Once: close() is the caller's to call, maybe again (a failed start's cleanup, a test), and
  // each closer may run only once (the index closed twice throws).
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const deadline = AbortSignal.timeout(config.stopGraceSeconds * 1000);
      for (const closer of closers.toReversed()) await closer(deadline);
    })());
  try {
    // Read first: a start refused for its TLS files makes nothing in the data dir.
    const tls = config.tls ? await readTlsPair(config.tls) : null;
    // The index holds every path and the share links' ids, the objects folder every byte: a
    // folder made here is the service's own (an existing one keeps the mode it was given).
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(config.dbPath), { recursive: true, mode: 0o700 });
    // Before the index is opened (and migrated), and released after it is closed.
    closers.push(await lockIndex(config.dbPath));
    const index = openSqliteIndex(config.dbPath);
    closers.push(() => index.close());

    let s3: S3Config | null = config.s3;
    if (s3 === null) {
      const embedded = await startEmbeddedS3({
        directory: `${config.dataDir}/objects`,
        host: config.host,
        port: config.embeddedS3Port,
        bucket: EMBEDDED_BUCKET,
        corsOrigins: ['*'],
        credentials: await embeddedCredentials(config.dataDir),
      });
      closers.push((deadline) => embedded.close(deadline));
      s3 = {
        endpoint: embedded.endpoint,
        region: embedded.region,
        bucket: embedded.bucket,
        accessKeyId: embedded.accessKeyId,
        secretAccessKey: embedded.secretAccessKey,
        forcePathStyle: true,
        dialect: 's3rver',
        ...(config.embeddedS3PublicEndpoint ? { publicEndpoint: config.embeddedS3PublicEndpoint } : {}),
      };
    }
    const store = new S3ObjectStore({ ...s3, timeoutSeconds: config.storeTimeoutSeconds, signingCrypto: nodeSigningCrypto });

    // Without DFS_PUBLIC_URL, share links name the origin each request came to: one bound to
    // every address is reached by each client at an address of its own.
    const ctx: DfsContext = { index, store, settings: config.settings, clock: () => new Date() };
    const log = config.log ? (entry: RequestLogEntry) => process.stdout.write(`${JSON.stringify(entry)}\n`) : undefined;
    const app = createApp({
      ctx,
      auth: createAuthenticator(index, config.adminToken),
      log,
      corsOrigins: config.corsOrigins,
      ui: uiAssets(fileURLToPath(new URL('../../dist/ui', import.meta.url))),
    });
    // Started before the API listens so that a stop closes the API first: a cleanup run under
    // way may finish within the stop's grace, and the store and index are closed after it (or,
    // once the grace is over, under it: the process is about to exit).
    if (config.cleanupIntervalSeconds > 0) {
      const cleanup = repeatEvery(config.cleanupIntervalSeconds * 1000, () => cleanupOnce(ctx, config.log), cleanupFailed);
      closers.push((deadline) => Promise.race([cleanup.stop(), passed(deadline)]));
    }
    const server = await listen(app.fetch, config, tls);
    answerUnparsedRequests(server, log);
    const drain = drainable(server);
    closers.push((deadline) => drain(deadline));
    // Once the port is ours: a start refused before never leaves a token made and not shown.
    const admin = await resolveAdminToken(ctx, config.adminToken, config.dataDir);
    const url = config.settings.publicUrl ?? localUrl(config, (server.address() as AddressInfo).port);

    if (options.banner) printBanner(url, admin, s3, config);
    return { url, adminToken: admin.secret, config, ctx, app, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const localUrl = (config: Config, port: number) => `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${port}`;

async function listen(fetch: (request: Request) => Response | Promise<Response>, config: Config, tls: TlsPair | null): Promise<HttpServer | HttpsServer> {
  const tlsOptions = tls ? { createServer: createHttpsServer, serverOptions: tls } : {};
  return new Promise((resolve, reject) => {
    // HTTP/1.1 either way: the createServer given is node:https's, or node:http's by default.
    const server = serve({ fetch, hostname: config.host, port: config.port, ...tlsOptions }, () => resolve(server)) as HttpServer | HttpsServer;
    server.once('error', (error) => reject(listenRefused(error, { who: 'the API', host: config.host, port: config.port, portVariable: 'DFS_PORT' })));
  });
}

async function cleanupOnce(ctx: DfsContext, log: boolean): Promise<void> {
  const report = await runCleanup(ctx);
  if (log && Object.values(report).some((n) => n > 0)) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'cleanup', ...report })}\n`);
  }
}

function cleanupFailed(error: unknown): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'cleanup_failed', error: error instanceof Error ? error.message : String(error) })}\n`);
}

function printBanner(url: string, admin: AdminToken, s3: S3Config, config: Config): void {
  const lines = [
    `dfs is serving ${url}`,
    `  index:  ${config.dbPath}`,
    `  store:  ${s3.endpoint ?? 'AWS S3'} bucket ${s3.bucket}${config.s3 === null ? ` (embedded, files under ${config.dataDir}/objects)` : ''}${s3.publicEndpoint ? `, clients reach it at ${s3.publicEndpoint}` : ''}`,
    `  admin token: ${adminTokenLine(admin, `${config.dataDir}/admin-token`)}`,
    `  try:    curl -H "Authorization: Bearer $TOKEN" ${url}/v1/files`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Logs are collected and kept, so a secret appears only once: when it was just generated and
 * nobody could know it otherwise. Every later start says where to find it.
 */
function adminTokenLine(admin: AdminToken, file: string): string {
  switch (admin.source) {
    case 'generated':
      return `${admin.secret} (generated now, kept in ${file}; shown only this once)`;
    case 'file':
      return `in ${file}`;
    case 'environment':
      return 'from DFS_ADMIN_TOKEN';
    case 'none':
      return 'not shown (set DFS_ADMIN_TOKEN, or use a token you created)';
  }
}

/** `npm start` and `dfs serve` alike: SIGINT or SIGTERM stops the server within its grace, a second one at once. */
export function stopOnSignals(server: RunningServer): void {
  let stopping = false;
  const stop = () => {
    // A second signal: the operator will not wait for the grace.
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`dfs: stopping: requests under way have ${server.config.stopGraceSeconds} s to finish (a second SIGINT or SIGTERM stops at once)\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`dfs: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.main) {
  try {
    stopOnSignals(await startServer({ banner: true }));
  } catch (error) {
    process.stderr.write(`dfs: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
