/** Routes over uploads: create, more part URLs, state, complete, abort. */
import { createRoute } from '@hono/zod-openapi';
import { abortUpload, completeUpload, createUpload, getUploadState, signMoreParts } from '../../core/uploads.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import {
  CompleteBody,
  CreateUploadBody,
  CreateUploadResponse,
  FileEntrySchema,
  IdParam,
  PartsBody,
  PartsResponse,
  UploadStateResponse,
} from '../schemas.ts';
import { fileEntry, singlePutUpload } from '../serialize.ts';
import { authErrors, errors, json, jsonBody } from './common.ts';

export function registerUploadRoutes(app: DfsApp, { ctx }: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/uploads',
      summary: 'Start an upload: presigned PUT or multipart part URLs',
      request: jsonBody(CreateUploadBody),
      responses: {
        201: json(CreateUploadResponse, 'the upload'),
        ...authErrors,
        ...errors({ 409: 'conflict: a file/folder name clash', 412: 'precondition_failed', 413: 'too_large' }),
      },
    }),
    async (c) => {
      const created = await createUpload(ctx, c.get('principal'), c.req.valid('json'));
      const { upload } = created;
      if (created.kind === 'single') return c.json(singlePutUpload(upload, created.request), 201);
      const base = { id: upload.id, path: upload.path, expiresAt: upload.expiresAt };
      return c.json({ ...base, partSize: created.plan.partSize, partCount: created.plan.partCount, parts: created.parts }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/uploads/{id}/parts',
      summary: 'Presigned URLs for more parts',
      request: { params: IdParam, ...jsonBody(PartsBody) },
      responses: { 200: json(PartsResponse, 'part URLs'), ...authErrors, ...errors({ 404: 'not_found', 409: 'conflict' }) },
    }),
    async (c) => c.json({ parts: await signMoreParts(ctx, c.get('principal'), c.req.valid('param').id, c.req.valid('json')) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/uploads/{id}',
      summary: 'State of an upload and the parts the store holds',
      request: { params: IdParam },
      responses: { 200: json(UploadStateResponse, 'the state'), ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      const { upload, partCount, parts } = await getUploadState(ctx, c.get('principal'), c.req.valid('param').id);
      return c.json(
        {
          id: upload.id,
          path: upload.path,
          size: upload.size,
          contentType: upload.contentType,
          partSize: upload.partSize,
          partCount,
          state: upload.state,
          expiresAt: upload.expiresAt,
          version: upload.version,
          parts,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/uploads/{id}/complete',
      summary: 'Verify the bytes with the store and commit',
      request: {
        params: IdParam,
        body: { content: { 'application/json': { schema: CompleteBody } }, required: false },
      },
      responses: {
        200: json(FileEntrySchema, 'the committed file'),
        ...authErrors,
        ...errors({ 404: 'not_found', 409: 'conflict', 412: 'precondition_failed', 422: 'upload_incomplete' }),
      },
    }),
    async (c) => {
      const file = await completeUpload(ctx, c.get('principal'), c.req.valid('param').id, c.req.valid('json'));
      return c.json(fileEntry(file), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/uploads/{id}',
      summary: 'Abort an upload',
      request: { params: IdParam },
      responses: { 204: { description: 'aborted' }, ...authErrors, ...errors({ 404: 'not_found', 409: 'conflict' }) },
    }),
    async (c) => {
      await abortUpload(ctx, c.get('principal'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
