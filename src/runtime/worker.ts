/**
 * The Cloudflare Workers entry point: the same Hono app over D1 and S3, configured from vars
 * and secrets through the same `parseConfig` as Node; `scheduled` runs the cleanup job.
 * Presigning here uses WebCrypto (the store's default), so nothing Node-only is imported.
 */
import './workers-dom-parser.ts';
import type { ExecutionContext } from 'hono';
import { createAuthenticator } from '../core/access.ts';
import { runCleanup } from '../core/cleanup.ts';
import type { DfsContext } from '../core/context.ts';
import { createApp } from '../http/app.ts';
import type { DfsApp } from '../http/env.ts';
import { createD1Index, type D1DatabaseLike } from '../index/d1-driver.ts';
import { S3ObjectStore } from '../store/s3-object-store.ts';
import { parseConfig, type Env as ConfigEnv } from './config.ts';

export interface WorkerEnv {
  DB: D1DatabaseLike;
  [name: string]: unknown;
}

interface Wiring {
  ctx: DfsContext;
  app: DfsApp;
}

/**
 * One wiring per isolate and environment: config is validated once, not per request. Without
 * DFS_PUBLIC_URL, share links take the origin of the request that makes them (a Worker may
 * answer on workers.dev and on a custom domain).
 */
let wired: { env: WorkerEnv; wiring: Promise<Wiring> } | null = null;

function wire(env: WorkerEnv): Promise<Wiring> {
  if (wired?.env === env) return wired.wiring;
  const wiring = (async () => {
    // wrangler.toml's [vars] may hold TOML numbers and booleans (DFS_KEEP_VERSIONS = 2): read as
    // the strings they would be on Node, not dropped for the defaults.
    const vars: ConfigEnv = Object.fromEntries(
      Object.entries(env).flatMap(([name, value]) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? [[name, String(value)]] : [])),
    );
    const config = parseConfig(vars);
    if (!config.s3) throw new Error('the Worker needs an object store: set S3_BUCKET and the S3_* credentials');
    const index = createD1Index(env.DB);
    const ctx: DfsContext = {
      index,
      store: new S3ObjectStore(config.s3),
      settings: config.settings,
      clock: () => new Date(),
    };
    const app = createApp({
      ctx,
      auth: createAuthenticator(index, config.adminToken),
      log: config.log ? (entry) => console.log(JSON.stringify(entry)) : undefined,
      corsOrigins: config.corsOrigins,
    });
    return { ctx, app };
  })();
  wired = { env, wiring };
  // A bad configuration is reported on every request until it is fixed, not cached.
  wiring.catch(() => {
    if (wired?.wiring === wiring) wired = null;
  });
  return wiring;
}

export default {
  async fetch(request: Request, env: WorkerEnv, context: ExecutionContext): Promise<Response> {
    try {
      const { app } = await wire(env);
      return await app.fetch(request, env, context);
    } catch (error) {
      // Every answer carries a request id (api.md), this one made outside the app too: the log line names it.
      const requestId = crypto.randomUUID();
      console.error(JSON.stringify({ event: 'configuration_error', requestId, error: (error as Error).message }));
      const body = { error: { code: 'internal', message: 'the service is misconfigured; see the Worker logs' } };
      return Response.json(body, { status: 500, headers: { 'x-request-id': requestId } });
    }
  },

  async scheduled(_controller: unknown, env: WorkerEnv, context: ExecutionContext): Promise<void> {
    const { ctx } = await wire(env);
    // As on Node: a failed run is one log line, and the next cron tries again.
    context.waitUntil(
      runCleanup(ctx).then(
        (report) => console.log(JSON.stringify({ time: new Date().toISOString(), event: 'cleanup', ...report })),
        (error: unknown) => console.log(JSON.stringify({ time: new Date().toISOString(), event: 'cleanup_failed', error: (error as Error).message })),
      ),
    );
  },
};
