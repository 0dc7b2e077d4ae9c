/** Health, readiness and the OpenAPI document. */
import { createRoute } from '@hono/zod-openapi';
import { DfsError } from '../../core/errors.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import { HealthResponse } from '../schemas.ts';
import { json, openApiPath } from './common.ts';

const READY_TIMEOUT_MS = 3000;

/** A readiness check's answer, and what failed for the request log. */
interface Checked {
  answer: string;
  failure?: Error;
}

/**
 * Waits for `probe` at most READY_TIMEOUT_MS, less than a store call may take (S3_TIMEOUT on each
 * of three tries): a health probe must answer while the service is still waiting on the store.
 */
async function check(subject: string, probe: () => Promise<void>): Promise<Checked> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Error(`${subject} did not answer within ${READY_TIMEOUT_MS} ms`);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silence), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { answer: 'ok' };
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    // The probe is public: our own messages only, never a driver's (addresses, file paths).
    return { answer: error instanceof DfsError || error === silence ? failure.message : 'failed', failure };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** One error for the request log, as a failed request's: both messages when both checks failed. */
function loggedFailure(failures: Error[]): Error | undefined {
  if (failures.length <= 1) return failures[0];
  return new Error(failures.map((f) => f.message).join('; '), { cause: failures.find((f) => f.cause !== undefined)?.cause });
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
      const [index, store] = await Promise.all([check('the index', () => ctx.index.ping()), check('the object store', () => ctx.store.ping())]);
      // Answered, not thrown (the body lists every check): the request log reads c.error as it
      // does for a thrown error, and records the store's transport error under it.
      const failure = loggedFailure([index.failure, store.failure].filter((f) => f !== undefined));
      if (failure) c.error = failure;
      return c.json({ ok: !failure, checks: { index: index.answer, store: store.answer } }, failure ? 503 : 200);
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
