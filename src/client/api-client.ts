/** A typed client for the dfs API over fetch; errors come back as ApiError with the API's code. */
import type {
  BatchCompletion,
  BatchDownload,
  BatchUpload,
  BatchUploadItem,
  CreatedUpload,
  DownloadLink,
  FileEntry,
  FileList,
  Scope,
  Share,
  ShareEntry,
  SignedPart,
  Token,
  UploadState,
  Version,
  Whoami,
} from './api-types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** With a 409: why (target_exists, name_clash, is_folder, upload_completed). */
  readonly reason: string | undefined;

  constructor(status: number, code: string, message: string, reason?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

/**
 * Percent-encodes each segment of a file path for the URL. A "." or ".." segment would be
 * resolved away by the URL parser, into another path, and an empty one names nothing: such a
 * path gets the error the server gives it in a body, without being sent. The methods calling it
 * are async, so the error comes as their rejection.
 */
export function encodePath(path: string): string {
  const segments = path.split('/');
  if (path === '') throw new ApiError(400, 'invalid_path', 'a file path is needed here, not the top level');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new ApiError(400, 'invalid_path', `"${path}" is not a file path: no empty, "." or ".." names`);
  }
  return segments.map(encodeURIComponent).join('/');
}

/** What the client needs of fetch, so a runtime can hand it something lighter (the CLI does). */
export interface ApiRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  redirect: 'manual';
}
export interface ApiResponse {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}
export type ApiFetch = (url: string, init: ApiRequestInit) => Promise<ApiResponse>;

export interface ClientOptions {
  endpoint: string;
  token: string;
  fetch?: ApiFetch;
}

export class DfsClient {
  readonly endpoint: string;
  readonly #token: string;
  readonly #fetch: ApiFetch;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async #request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: ApiResponse;
    try {
      response = await this.#fetch(`${this.endpoint}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
    } catch (error) {
      throw new ApiError(0, 'network', `cannot reach ${this.endpoint}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; reason?: string; message?: string } } | undefined)?.error;
      // No dfs error body: likely not the dfs API at all (an S3 endpoint, a proxy's page).
      const foreign = `${this.endpoint} answered HTTP ${response.status} without a dfs error: is it the dfs API?`;
      throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? foreign, error?.reason);
    }
    return parsed as T;
  }

  whoami = () => this.#request<Whoami>('GET', '/v1/whoami');

  list(options: { prefix?: string; delimiter?: boolean; limit?: number; cursor?: string | null } = {}) {
    const query = new URLSearchParams();
    if (options.prefix) query.set('prefix', options.prefix);
    if (options.delimiter) query.set('delimiter', '/');
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    return this.#request<FileList>('GET', `/v1/files?${query}`);
  }

  /** Every entry under `prefix`, page by page; `fetch` asks for each (a caller's retries go there). */
  listAll(options: { prefix?: string; delimiter?: boolean } = {}, fetch: (page: () => Promise<FileList>) => Promise<FileList> = (page) => page()): AsyncGenerator<FileList> {
    return pages((cursor) => fetch(() => this.list({ ...options, limit: 1000, cursor })));
  }

  stat = async (path: string) => this.#request<FileEntry>('GET', `/v1/files/${encodePath(path)}`);
  download = (path: string, options: { version?: string; disposition?: 'attachment' | 'inline' } = {}) =>
    this.#request<DownloadLink>('POST', '/v1/downloads', { path, ...options });
  remove = async (path: string, options: { recursive?: boolean; ifMatch?: string } = {}) =>
    this.#request<void>('DELETE', `/v1/files/${encodePath(path)}${options.recursive ? '?recursive=true' : ''}`, undefined, options.ifMatch ? { 'if-match': options.ifMatch } : {});
  move = (from: string, to: string, overwrite = false) => this.#request<{ moved: number; files?: FileEntry[] }>('POST', '/v1/move', { from, to, overwrite });
  copy = (from: string, to: string, overwrite = false) => this.#request<FileEntry>('POST', '/v1/copy', { from, to, overwrite });
  versions = async (path: string) => this.#request<{ versions: Version[] }>('GET', `/v1/versions/${encodePath(path)}`).then((r) => r.versions);
  restore = (path: string, version: string) => this.#request<FileEntry>('POST', '/v1/restore', { path, version });
  /** Every link still valid under `prefix`, page by page. */
  async listShares(prefix = ''): Promise<ShareEntry[]> {
    const shares: ShareEntry[] = [];
    const page = (cursor: string | null) =>
      this.#request<{ shares: ShareEntry[]; nextCursor: string | null }>('GET', `/v1/shares?${new URLSearchParams({ limit: '1000', ...(prefix ? { prefix } : {}), ...(cursor ? { cursor } : {}) })}`);
    for await (const { shares: more } of pages(page)) shares.push(...more);
    return shares;
  }
  revokeShare = (id: string) => this.#request<void>('DELETE', `/v1/shares/${encodeURIComponent(id)}`);
  share = (path: string, expiresIn?: number) => this.#request<Share>('POST', '/v1/shares', { path, ...(expiresIn === undefined ? {} : { expiresIn }) });

  createUpload = (input: { path: string; size: number; contentType?: string; sha256?: string; md5?: string; partSize?: number; multipart?: boolean; ifMatch?: string; ifNoneMatch?: '*' }) =>
    this.#request<CreatedUpload>('POST', '/v1/uploads', input);
  signParts = (id: string, partNumbers: number[], md5s?: string[]) =>
    this.#request<{ parts: SignedPart[] }>('POST', `/v1/uploads/${encodeURIComponent(id)}/parts`, { partNumbers, ...(md5s ? { md5s } : {}) }).then((r) => r.parts);
  uploadState = (id: string) => this.#request<UploadState>('GET', `/v1/uploads/${encodeURIComponent(id)}`);
  complete = (id: string, body: { parts?: { partNumber: number; etag: string }[]; sha256?: string } = {}) =>
    this.#request<FileEntry>('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`, body);
  abort = (id: string) => this.#request<void>('DELETE', `/v1/uploads/${encodeURIComponent(id)}`);

  /** Up to 1000 single-PUT uploads at once; each entry is an upload or that file's error. */
  batchUploads = (files: BatchUploadItem[]) => this.#request<{ uploads: BatchUpload[] }>('POST', '/v1/batch/uploads', { files }).then((r) => r.uploads);
  /** Verifies and commits up to 1000 uploads, each on its own. */
  batchComplete = (uploads: { id: string; sha256?: string }[]) =>
    this.#request<{ results: BatchCompletion[] }>('POST', '/v1/batch/complete', { uploads }).then((r) => r.results);
  batchDownloads = (files: { path: string; version?: string }[], disposition?: 'attachment' | 'inline') =>
    this.#request<{ downloads: BatchDownload[] }>('POST', '/v1/batch/downloads', { files, ...(disposition ? { disposition } : {}) }).then((r) => r.downloads);

  createToken = (input: { name: string; scopes: Scope[]; prefix?: string; expiresIn?: number }) =>
    this.#request<Token & { token: string }>('POST', '/v1/tokens', input);
  listTokens = () => this.#request<{ tokens: Token[] }>('GET', '/v1/tokens').then((r) => r.tokens);
  revokeToken = (id: string) => this.#request<void>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
}

/** Every page of a paged listing, from the first until one has no next cursor. */
async function* pages<T extends { nextCursor: string | null }>(page: (cursor: string | null) => Promise<T>): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const next: T = await page(cursor);
    yield next;
    cursor = next.nextCursor;
  } while (cursor !== null);
}
