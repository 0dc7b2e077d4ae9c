/** Routes over batches: create, complete and download up to 1000 files per request. */
import { createRoute } from '@hono/zod-openapi';
import { completeBatch, createBatchDownloads, createBatchUploads } from '../../core/batch.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import { itemError } from '../errors.ts';
import {
  BatchCompleteBody,
  BatchCompleteResponse,
  BatchDownloadsBody,
  BatchDownloadsResponse,
  BatchUploadsBody,
  BatchUploadsResponse,
} from '../schemas.ts';
import { fileEntry, singlePutUpload } from '../serialize.ts';
import { authErrors, json, jsonBody } from './common.ts';

export function registerBatchRoutes(app: DfsApp, { ctx }: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batch/uploads',
      summary: 'Start up to 1000 single-PUT uploads',
      request: jsonBody(BatchUploadsBody),
      responses: { 200: json(BatchUploadsResponse, 'one upload or error per file, in request order'), ...authErrors },
    }),
    async (c) => {
      const { files } = c.req.valid('json');
      const results = await createBatchUploads(ctx, c.get('principal'), files);
      const uploads = results.map((r, i) => (r.ok ? singlePutUpload(r.value.upload, r.value.request) : { path: files[i]!.path, ...itemError(r.error) }));
      return c.json({ uploads }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batch/complete',
      summary: 'Verify and commit up to 1000 uploads, each on its own',
      request: jsonBody(BatchCompleteBody),
      responses: { 200: json(BatchCompleteResponse, 'one file entry or error per upload, in request order'), ...authErrors },
    }),
    async (c) => {
      const items = c.req.valid('json').uploads;
      const results = await completeBatch(ctx, c.get('principal'), items);
      const entries = results.map((r, i) => (r.ok ? { id: items[i]!.id, file: fileEntry(r.value) } : { id: items[i]!.id, ...itemError(r.error) }));
      return c.json({ results: entries }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batch/downloads',
      summary: 'Presigned download URLs for up to 1000 files',
      request: jsonBody(BatchDownloadsBody),
      responses: { 200: json(BatchDownloadsResponse, 'one download or error per file, in request order'), ...authErrors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const results = await createBatchDownloads(ctx, c.get('principal'), input);
      const downloads = results.map((r, i) => (r.ok ? r.value : { path: input.files[i]!.path, ...itemError(r.error) }));
      return c.json({ downloads }, 200);
    },
  );
}
