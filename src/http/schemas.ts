/**
 * The wire schemas: they validate requests and generate /openapi.json, so the document and
 * the checks cannot drift apart. Path rules themselves live in core (invalid_path).
 */
import { z } from '@hono/zod-openapi';
import { MAX_BATCH_ITEMS } from '../core/batch.ts';
import { CONFLICT_REASONS } from '../core/errors.ts';
import { DEFAULT_SETTINGS, S3_MAX_PART, S3_MIN_PART } from '../core/settings.ts';

const MAX_SIZE = 5 * 1024 ** 4;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      reason: z
        .enum(CONFLICT_REASONS)
        .optional()
        .openapi({ description: 'with code conflict only: why, for clients that act on it' }),
      message: z.string().openapi({ example: 'no file at "docs/a.pdf"' }),
    }),
  })
  .openapi('Error');

export const FileEntrySchema = z
  .object({
    path: z.string().openapi({ example: 'docs/a.pdf' }),
    size: z.number().int(),
    contentType: z.string(),
    sha256: z.string().nullable(),
    version: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('FileEntry');

export const PathParam = z.object({
  path: z.string().openapi({ param: { name: 'path', in: 'path' }, description: 'file path, percent-encoded per segment', example: 'docs/report%20v2.pdf' }),
});

export const IdParam = z.object({ id: z.string().max(200).openapi({ param: { name: 'id', in: 'path' } }) });
/** A public link names a share or nothing: whatever else it holds is a link that does not exist (404), not a bad request. */
export const ShareLinkParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

const intFromQuery = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const ListQuery = z.object({
  prefix: z.string().max(1024).optional(),
  delimiter: z.literal('/').optional(),
  limit: intFromQuery(1, 1000).optional().openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
  cursor: z.string().max(4096).optional(),
});

export const ListResponse = z
  .object({ files: z.array(FileEntrySchema), folders: z.array(z.string()), nextCursor: z.string().nullable() })
  .openapi('FileList');

const Disposition = z.enum(['attachment', 'inline']);

export const ContentQuery = z.object({
  version: z.string().max(200).optional(),
  disposition: Disposition.optional(),
});

/** A file to download: its path, and a version other than the current one. */
const DownloadTarget = z.object({ path: z.string(), version: z.string().max(200).optional() });

export const DownloadBody = DownloadTarget.extend({ disposition: Disposition.optional() }).strict().openapi('DownloadRequest');

export const DownloadResponse = z
  .object({
    url: z.string(),
    expiresAt: z.string(),
    size: z.number().int(),
    sha256: z.string().nullable(),
    contentType: z.string(),
    version: z.string(),
  })
  .openapi('Download');

export const DeleteQuery = z.object({ recursive: z.enum(['true', 'false']).optional() });

export const MoveBody = z
  .object({ from: z.string(), to: z.string(), overwrite: z.boolean().optional() })
  .strict()
  .openapi('MoveRequest');

export const MoveResponse = z
  .object({ moved: z.number().int(), files: z.array(FileEntrySchema).optional() })
  .openapi('MoveResult');

export const VersionSchema = z
  .object({
    version: z.string(),
    size: z.number().int(),
    contentType: z.string(),
    sha256: z.string().nullable(),
    createdAt: z.string(),
    current: z.boolean(),
  })
  .openapi('Version');

export const VersionsResponse = z.object({ versions: z.array(VersionSchema) }).openapi('VersionList');

export const RestoreBody = z.object({ path: z.string(), version: z.string().max(200) }).strict().openapi('RestoreRequest');

const Sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').transform((s) => s.toLowerCase());
const Md5Base64 = z.string().regex(/^[A-Za-z0-9+/]{22}==$/, 'must be a base64 MD5 digest (24 characters)');
// A MIME type without control characters, so it can be signed into a header safely.
const ContentType = z.string().min(1).max(255).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** The fields of a new upload that a batch item shares with POST /v1/uploads. */
const UploadFields = {
  path: z.string(),
  size: z
    .number()
    .min(0)
    .refine(Number.isInteger, 'must be a whole number')
    .openapi({ type: 'integer', minimum: 0, maximum: MAX_SIZE, description: 'exact byte count; above the maximum is 413' }),
  contentType: ContentType.optional(),
  sha256: Sha256Hex.optional(),
  md5: Md5Base64.optional(),
  ifMatch: z.string().min(1).max(200).optional().openapi({ description: 'commit only while this version is current; * while the path holds any file' }),
  ifNoneMatch: z.literal('*').optional(),
};

export const CreateUploadBody = z
  .object({
    ...UploadFields,
    // The bounds are checked in core (part-plan.ts), with a message that names them; stated here for the document.
    partSize: z.number().int().openapi({ minimum: S3_MIN_PART, maximum: S3_MAX_PART }).optional(),
    multipart: z.boolean().optional(),
  })
  .strict()
  .openapi('CreateUploadRequest');

export const PartUrlSchema = z
  .object({ partNumber: z.number().int(), url: z.string(), headers: z.record(z.string(), z.string()) })
  .openapi('PartUrl');

export const CreateUploadResponse = z
  .object({
    id: z.string(),
    path: z.string(),
    expiresAt: z.string(),
    url: z.string().optional(),
    method: z.literal('PUT').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    partSize: z.number().int().optional(),
    partCount: z.number().int().optional(),
    parts: z.array(PartUrlSchema).optional(),
  })
  .openapi('Upload', { description: 'single PUT (url, method, headers) or multipart (partSize, partCount, parts)' });

export const PartsBody = z
  .object({
    // The range is checked in core, against the upload's own part count.
    partNumbers: z.array(z.number().int().openapi({ minimum: 1, maximum: 10000 })).min(1).max(1000),
    md5s: z.array(Md5Base64).max(1000).optional(),
  })
  .strict()
  .openapi('PartsRequest');

export const PartsResponse = z.object({ parts: z.array(PartUrlSchema) }).openapi('PartUrls');

export const UploadStateResponse = z
  .object({
    id: z.string(),
    path: z.string(),
    size: z.number().int(),
    contentType: z.string(),
    partSize: z.number().int().nullable(),
    partCount: z.number().int(),
    state: z.enum(['pending', 'completed', 'aborted']),
    expiresAt: z.string(),
    version: z.string().nullable(),
    parts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int(), etag: z.string() })),
  })
  .openapi('UploadState');

export const CompleteBody = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(10000), etag: z.string().min(1).max(200) }).strict())
      .max(10000)
      .optional(),
    sha256: Sha256Hex.optional().openapi({ description: 'digest of the whole file, when create did not declare one' }),
  })
  .strict()
  .openapi('CompleteRequest');

const ItemErrorSchema = z
  .object({ error: ErrorSchema.shape.error })
  .openapi('ItemError', { description: 'one item failed: the code and message its single-file route would answer' });

const batchOf = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_BATCH_ITEMS);

export const BatchUploadsBody = z
  .object({ files: batchOf(z.object(UploadFields).strict().openapi('BatchUploadItem')) })
  .strict()
  .openapi('BatchUploadsRequest');

const SinglePutUploadSchema = z
  .object({
    id: z.string(),
    path: z.string(),
    expiresAt: z.string(),
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
  })
  .openapi('SinglePutUpload');

export const BatchUploadsResponse = z
  .object({ uploads: z.array(z.union([SinglePutUploadSchema, ItemErrorSchema.extend({ path: z.string() })])) })
  .openapi('BatchUploads', { description: 'one entry per requested file, in request order' });

export const BatchCompleteBody = z
  .object({ uploads: batchOf(z.object({ id: z.string().max(200), sha256: CompleteBody.shape.sha256 }).strict()) })
  .strict()
  .openapi('BatchCompleteRequest');

export const BatchCompleteResponse = z
  .object({
    results: z.array(z.union([z.object({ id: z.string(), file: FileEntrySchema }), ItemErrorSchema.extend({ id: z.string() })])),
  })
  .openapi('BatchCompletion', { description: 'one entry per requested upload, in request order' });

export const BatchDownloadsBody = z
  .object({
    files: batchOf(DownloadTarget.strict()),
    disposition: Disposition.optional(),
  })
  .strict()
  .openapi('BatchDownloadsRequest');

export const BatchDownloadsResponse = z
  .object({ downloads: z.array(z.union([DownloadResponse.extend({ path: z.string() }), ItemErrorSchema.extend({ path: z.string() })])) })
  .openapi('BatchDownloads', { description: 'one entry per requested file, in request order' });

const Scope = z.enum(['read', 'write', 'delete', 'admin']);

export const CreateTokenBody = z
  .object({
    name: z.string().min(1).max(200),
    scopes: z.array(Scope).min(1).max(4),
    prefix: z.string().max(1024).nullable().optional(),
    expiresIn: z.number().int().positive().max(10 * 365 * 86400).optional(),
  })
  .strict()
  .openapi('CreateTokenRequest');

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(Scope),
    prefix: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    expiresAt: z.string().nullable(),
  })
  .openapi('Token');

export const CreatedTokenSchema = TokenSchema.extend({ token: z.string() }).openapi('CreatedToken');
export const TokensResponse = z.object({ tokens: z.array(TokenSchema) }).openapi('TokenList');

export const WhoamiResponse = z
  .object({ id: z.string().nullable(), name: z.string(), scopes: z.array(Scope), prefix: z.string().nullable(), expiresAt: z.string().nullable() })
  .openapi('Whoami');

export const CreateShareBody = z
  .object({
    path: z.string(),
    // Checked in core (shares.ts), as above.
    expiresIn: z.number().int().positive().openapi({ maximum: DEFAULT_SETTINGS.shareMaxSeconds }).optional(),
    disposition: Disposition.optional(),
  })
  .strict()
  .openapi('CreateShareRequest');

export const ShareResponse = z.object({ id: z.string(), url: z.string(), expiresAt: z.string() }).openapi('Share');

export const ShareListQuery = ListQuery.pick({ prefix: true, limit: true, cursor: true });

export const ShareListResponse = z
  .object({
    shares: z.array(
      ShareResponse.extend({
        path: z.string(),
        disposition: Disposition,
        createdAt: z.string(),
        createdBy: z.string().nullable(),
        fileExists: z.boolean().openapi({ description: 'whether a file is at the path now: the link opens nothing until one is' }),
      }).openapi('ShareEntry'),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('ShareList');

export const HealthResponse = z.object({ ok: z.boolean(), checks: z.record(z.string(), z.string()).optional() }).openapi('Health');
