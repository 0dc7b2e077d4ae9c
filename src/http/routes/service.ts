/** Health, readiness and the OpenAPI document. */
import { createRoute } from '@hono/zod-openapi';
import { DfsError } from '../../core/errors.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import { HealthResponse } from '../schemas.ts';
import { json, openApiPath } from './common.ts';

const READY_TIMEOUT_MS = 3000;

async function check(probe: () => Promise<void>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silence), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    // The probe is public: our own messages only, never a driver's (addresses, file paths).
    if (error instanceof DfsError) return error.message;
    return error === silence ? silence.message : 'failed';
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function registerServiceRoutes(app: DfsApp, { ctx }: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      security: [],
      responses: { 200: json(HealthResponse, 'up') },
    }),
    (c) => c.json({ ok: true }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'The index and the object store answer',
      security: [],
      responses: { 200: json(HealthResponse, 'ready'), 503: json(HealthResponse, 'not ready') },
    }),
    async (c) => {
      const [index, store] = await Promise.all([check(() => ctx.index.ping()), check(() => ctx.store.ping())]);
      const ok = index === 'ok' && store === 'ok';
      return c.json({ ok, checks: { index, store } }, ok ? 200 : 503);
    },
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.get('/openapi.json', (c) => {
    const document = app.getOpenAPIDocument({
      openapi: '3.0.3',
      info: {
        title: 'dfs API',
        version: '1.0.0',
        description: 'File index and presigned transfers over S3-compatible storage. See docs/api.md.',
      },
      security: [{ bearer: [] }],
    });
    document.paths = Object.fromEntries(Object.entries(document.paths ?? {}).map(([path, item]) => [openApiPath(path), item]));
    return c.json(document);
  });
}
