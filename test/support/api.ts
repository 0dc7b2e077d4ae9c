/** A thin HTTP helper for tests: JSON in and out, the bearer token, raw access to everything. */
import { createHash } from 'node:crypto';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, without JSON encoding. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export class Api {
  readonly baseUrl: string;
  readonly token: string | null;

  constructor(baseUrl: string, token: string | null) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  as(token: string | null): Api {
    return new Api(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }

  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

/** Percent-encodes each segment of a file path for use after a route prefix. */
export const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export const sha256Hex = async (bytes: Uint8Array<ArrayBuffer>) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');

/** The MD5 a Content-MD5 header carries: base64. */
export const md5Base64 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

/** Deterministic pseudo-random bytes, so a failing comparison is reproducible. */
export function randomBytes(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
    out[i + 1] = (x >>> 8) & 255;
    out[i + 2] = (x >>> 16) & 255;
    out[i + 3] = (x >>> 24) & 255;
  }
  return out;
}

export interface Uploaded {
  status: number;
  body: any;
}

/**
 * Uploads bytes the way any client would: create, PUT each part to its presigned URL with the
 * returned headers, complete.
 */
export async function uploadBytes(
  api: Api,
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
  extra: Record<string, unknown> = {},
): Promise<Uploaded> {
  const created = await api.post('/v1/uploads', { path, size: bytes.length, ...extra });
  if (created.status !== 201) return created;
  const upload = created.body;
  if (upload.url) {
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    if (!put.ok) throw new Error(`PUT failed: ${put.status} ${await put.text()}`);
  } else {
    const numbers = Array.from({ length: upload.partCount }, (_, i) => i + 1);
    const urls = new Map<number, { url: string; headers: Record<string, string> }>();
    for (const part of upload.parts) urls.set(part.partNumber, part);
    const missing = numbers.filter((n) => !urls.has(n));
    if (missing.length > 0) {
      const more = await api.post(`/v1/uploads/${upload.id}/parts`, { partNumbers: missing });
      for (const part of more.body.parts) urls.set(part.partNumber, part);
    }
    await Promise.all(
      numbers.map(async (n) => {
        const part = urls.get(n)!;
        const slice = bytes.subarray((n - 1) * upload.partSize, Math.min(n * upload.partSize, bytes.length));
        const put = await fetch(part.url, { method: 'PUT', headers: part.headers, body: slice });
        if (!put.ok) throw new Error(`PUT part ${n} failed: ${put.status} ${await put.text()}`);
      }),
    );
  }
  return api.post(`/v1/uploads/${upload.id}/complete`, {});
}

/** Follows /v1/content's redirect and returns the bytes. */
export async function downloadBytes(api: Api, path: string, query = ''): Promise<Uint8Array<ArrayBuffer>> {
  const redirect = await api.get(`/v1/content/${encodePath(path)}${query}`);
  if (redirect.status !== 302) throw new Error(`expected 302, got ${redirect.status}: ${JSON.stringify(redirect.body)}`);
  const response = await fetch(redirect.headers.get('location')!);
  if (!response.ok) throw new Error(`GET failed: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Byte-for-byte equality that stays fast for big buffers (a deep `toEqual` over megabytes
 * blocks the event loop for seconds), reporting lengths and digests when they differ.
 */
export async function sameBytes(actual: Uint8Array<ArrayBuffer>, expected: Uint8Array<ArrayBuffer>): Promise<string> {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))) {
    return 'same';
  }
  return `differ: ${actual.length} bytes sha256 ${await sha256Hex(actual)} vs ${expected.length} bytes sha256 ${await sha256Hex(expected)}`;
}
