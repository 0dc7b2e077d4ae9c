/** The Hono app: middleware, routes, the OpenAPI document and the one error mapper. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { invalidPath, invalidRequest, tooLarge } from '../core/errors.ts';
import type { AppDeps, AppEnv, DfsApp } from './env.ts';
import { errorBody, errorResponse, mapError } from './errors.ts';
import { requestLogger } from './logging.ts';
import { registerAccessRoutes } from './routes/access.ts';
import { registerBatchRoutes } from './routes/batch.ts';
import { registerFileRoutes } from './routes/files.ts';
import { registerServiceRoutes } from './routes/service.ts';
import { registerUploadRoutes } from './routes/uploads.ts';

/**
 * JSON bodies are small: a complete with 10,000 parts, or a batch of 1000 files whose paths
 * average a few hundred bytes, fits well under 1 MiB.
 */
const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(deps: AppDeps): DfsApp {
  const app: DfsApp = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(describeIssues(result.error.issues));
    },
  });

  app.use('*', requestId({ headerName: 'X-Request-Id', generator: () => crypto.randomUUID() }));
  if (deps.log) app.use('*', requestLogger(deps.log));
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      '/v1/*',
      cors({
        origin: deps.corsOrigins.includes('*') ? '*' : deps.corsOrigins,
        allowHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match'],
        exposeHeaders: ['ETag', 'X-Request-Id'],
        maxAge: 600,
      }),
    );
  }
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      // The rest of the body is never read, so the connection cannot carry another request.
      onError: (c) => c.json(errorBody(mapError(tooLarge('request body is larger than 1 MiB'))), 413, { Connection: 'close' }),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    c.set('principal', await deps.auth.authenticate(c.req.header('Authorization'), deps.ctx.clock()));
    await next();
  });
  // Hono keeps an escape it cannot decode as literal text, so "%FF" would name the file whose
  // own URL is "%25FF": a URL path or query that is not percent-encoded UTF-8 names nothing.
  app.use('/v1/*', async (c, next) => {
    // Only a URL with an escape in it can hold a bad one: most requests skip the parse.
    if (c.req.url.includes('%')) {
      const url = new URL(c.req.url);
      if (!isPercentEncodedUtf8(url.pathname)) throw invalidPath('the URL path is not valid percent-encoded UTF-8');
      if (!isPercentEncodedUtf8(url.search)) throw invalidRequest('the query string is not valid percent-encoded UTF-8');
    }
    await next();
  });
  // A POST without a body (`curl -X POST …/complete`) means an empty object, not bad JSON.
  // Only the bytes can tell: an HTTP/2 or Workers request may carry a body without
  // Content-Length, and a chunked one may be empty. The read is cached for the validator.
  app.use('/v1/*', async (c, next) => {
    if (c.req.method === 'POST' && (await c.req.arrayBuffer()).byteLength === 0) {
      const headers = new Headers(c.req.raw.headers);
      headers.set('Content-Type', 'application/json');
      c.req.raw = new Request(c.req.raw.url, { method: 'POST', headers, body: '{}' });
      c.req.bodyCache = {};
    }
    await next();
  });

  registerServiceRoutes(app, deps);
  registerFileRoutes(app, deps);
  registerUploadRoutes(app, deps);
  registerBatchRoutes(app, deps);
  registerAccessRoutes(app, deps);
  deps.ui?.(app);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => errorResponse(c, error));
  return app;
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

function isPercentEncodedUtf8(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
