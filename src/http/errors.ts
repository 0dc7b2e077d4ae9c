/** The one place where errors become HTTP: DfsError codes to statuses, everything else to 500. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DfsError, type ConflictReason, type ErrorCode } from '../core/errors.ts';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_path: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  upload_incomplete: 422,
  storage_unavailable: 503,
  internal: 500,
};

export interface MappedError {
  status: ContentfulStatusCode;
  code: ErrorCode;
  reason?: ConflictReason;
  message: string;
}

export function mapError(error: unknown): MappedError {
  if (error instanceof DfsError) return { status: STATUS[error.code], code: error.code, reason: error.reason, message: error.message };
  if (error instanceof HTTPException) return fromHttpException(error);
  return { status: 500, code: 'internal', message: 'internal error' };
}

/**
 * A request the HTTP parser refused before the app ran (Node's parser: its error code and the
 * reason it gives), in the API's vocabulary.
 */
export function mapUnparsedRequest(parserCode: string | undefined, reason: string | undefined): MappedError {
  switch (parserCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'too_large', message: 'the request line and headers are over 16 KiB together (a path holds at most 1024 bytes)' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'too_large', message: 'the chunks of the request body carry too many extensions' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'invalid_request', message: 'the request did not arrive in time' };
    case 'HPE_INVALID_URL':
      return { status: 400, code: 'invalid_request', message: `the URL is not valid (${reason ?? 'a character it may not hold'}): percent-encode spaces and non-ASCII characters` };
    default:
      return { status: 400, code: 'invalid_request', message: `not a valid HTTP request${reason ? ` (${reason})` : ''}` };
  }
}

/** Hono's own rejections (malformed JSON, body limit, media type) in the API's vocabulary. */
function fromHttpException(error: HTTPException): MappedError {
  if (error.status === 413) return { status: 413, code: 'too_large', message: 'request body too large' };
  // The contract has no 415: a body in another media type is simply an invalid request.
  if (error.status === 415) return { status: 400, code: 'invalid_request', message: 'send the body as JSON with Content-Type: application/json' };
  if (error.status < 500) return { status: 400, code: 'invalid_request', message: error.message || 'bad request' };
  return { status: 500, code: 'internal', message: 'internal error' };
}

// JSON leaves an undefined reason out: only a conflict carries one.
export const errorBody = ({ code, reason, message }: MappedError) => ({ error: { code, reason, message } });

/** A batch item's error: the body the single-file route would answer, without its status. */
export const itemError = (error: DfsError) => errorBody(mapError(error));

export function errorResponse(c: Context, error: unknown) {
  const mapped = mapError(error);
  return c.json(errorBody(mapped), mapped.status);
}
