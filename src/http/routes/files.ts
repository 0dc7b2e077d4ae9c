/** Routes over files: list, stat, content redirect, download links, delete, move, copy, versions, restore. */
import { createRoute, z } from '@hono/zod-openapi';
import { invalidRequest } from '../../core/errors.ts';
import { copyFile, createDownload, deletePath, listFiles, listVersions, movePath, restoreVersion, statFile } from '../../core/files.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import {
  ContentQuery,
  DeleteQuery,
  DownloadBody,
  DownloadResponse,
  FileEntrySchema,
  ListQuery,
  ListResponse,
  MoveBody,
  MoveResponse,
  PathParam,
  RestoreBody,
  VersionsResponse,
} from '../schemas.ts';
import { fileEntry, versionEntry } from '../serialize.ts';
import { authErrors, errors, json, jsonBody, REST_OF_PATH } from './common.ts';

const DeletePreconditionHeaders = z.object({
  'if-match': z.string().max(200).optional().openapi({ param: { name: 'if-match', in: 'header' }, description: 'If-Match: a version id (quotes optional), or * for whichever version is current' }),
  'if-none-match': z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'if-none-match', in: 'header' }, description: 'If-None-Match: a version id that must not be current (quotes optional), or * (412 whenever the file exists)' }),
});

/**
 * The one version an If-Match or If-None-Match names (or *), as `v`, `"v"` or `W/"v"` alike:
 * clients quote ETags, people often do not, and a proxy compressing a response may weaken its
 * ETag; a version id names one immutable content either way. A list of them is refused, not
 * read as one strange version.
 */
const unquote = (value: string | undefined, header: 'If-Match' | 'If-None-Match') => {
  if (value === undefined) return null;
  const version = value.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (version.includes(',') || version.includes('"')) throw invalidRequest(`${header} takes one version (or *), unquoted or in quotes, not a list`);
  // Read as no condition, an empty value would delete what a client meant to guard.
  if (version.trim() === '') throw invalidRequest(`${header} is empty: name a version (or *)`);
  return version;
};

export function registerFileRoutes(app: DfsApp, { ctx }: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/files',
      summary: 'List files and folders',
      request: { query: ListQuery },
      responses: { 200: json(ListResponse, 'a page of the listing'), ...authErrors },
    }),
    async (c) => {
      const page = await listFiles(ctx, c.get('principal'), c.req.valid('query'));
      return c.json({ files: page.files.map(fileEntry), folders: page.folders, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `/v1/files/${REST_OF_PATH}`,
      summary: 'Metadata of the current version',
      request: { params: PathParam },
      responses: { 200: json(FileEntrySchema, 'the file entry; ETag is its version'), ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      const file = await statFile(ctx, c.get('principal'), c.req.valid('param').path);
      c.header('ETag', `"${file.version}"`);
      return c.json(fileEntry(file), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `/v1/content/${REST_OF_PATH}`,
      summary: 'Redirect to a presigned GET of the content',
      request: { params: PathParam, query: ContentQuery },
      responses: { 302: { description: 'Location is a presigned GET (Range works on it)' }, ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      const download = await createDownload(ctx, c.get('principal'), { path: c.req.valid('param').path, ...c.req.valid('query') });
      c.header('Cache-Control', 'no-store');
      return c.redirect(download.url, 302);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/downloads',
      summary: 'A presigned download URL with the file metadata',
      request: jsonBody(DownloadBody),
      responses: { 200: json(DownloadResponse, 'presigned GET'), ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => c.json(await createDownload(ctx, c.get('principal'), c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `/v1/files/${REST_OF_PATH}`,
      summary: 'Delete a file, or a folder with recursive=true',
      request: { params: PathParam, query: DeleteQuery, headers: DeletePreconditionHeaders },
      responses: {
        204: { description: 'deleted' },
        ...authErrors,
        ...errors({ 404: 'not_found', 409: 'conflict: a folder without recursive=true', 412: 'precondition_failed' }),
      },
    }),
    async (c) => {
      await deletePath(ctx, c.get('principal'), c.req.valid('param').path, {
        recursive: c.req.valid('query').recursive === 'true',
        ifMatch: unquote(c.req.valid('header')['if-match'], 'If-Match'),
        ifNoneMatch: unquote(c.req.valid('header')['if-none-match'], 'If-None-Match'),
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/move',
      summary: 'Rename or move a file or a whole folder (index only)',
      request: jsonBody(MoveBody),
      responses: { 200: json(MoveResponse, 'moved'), ...authErrors, ...errors({ 404: 'not_found', 409: 'conflict' }) },
    }),
    async (c) => {
      const result = await movePath(ctx, c.get('principal'), c.req.valid('json'));
      return c.json(result.file ? { moved: result.moved, files: [fileEntry(result.file)] } : { moved: result.moved }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/copy',
      summary: 'Copy a file (shares the stored object)',
      request: jsonBody(MoveBody),
      responses: { 201: json(FileEntrySchema, 'the copy'), ...authErrors, ...errors({ 404: 'not_found', 409: 'conflict' }) },
    }),
    async (c) => c.json(fileEntry(await copyFile(ctx, c.get('principal'), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `/v1/versions/${REST_OF_PATH}`,
      summary: 'Versions of a file, newest first',
      request: { params: PathParam },
      responses: { 200: json(VersionsResponse, 'versions'), ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      const versions = await listVersions(ctx, c.get('principal'), c.req.valid('param').path);
      return c.json({ versions: versions.map(versionEntry) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/restore',
      summary: 'Make an old version current again',
      request: jsonBody(RestoreBody),
      responses: { 201: json(FileEntrySchema, 'the new current version'), ...authErrors, ...errors({ 404: 'not_found', 409: 'conflict' }) },
    }),
    async (c) => c.json(fileEntry(await restoreVersion(ctx, c.get('principal'), c.req.valid('json'))), 201),
  );
}
