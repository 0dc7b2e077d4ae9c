import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi } from '../../scripts/build-ui.ts';
import { Api } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer({ env: { DFS_CORS_ORIGINS: 'https://app.example' } });
  api = new Api(server.url, null);
});
afterAll(() => server?.close());

describe('service routes', () => {
  it('reports health and readiness', async () => {
    expect((await api.get('/healthz')).body).toEqual({ ok: true });
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ok: true, checks: { index: 'ok', store: 'ok' } });
  });

  it('serves an OpenAPI document generated from the validating schemas', async () => {
    const doc = await api.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      '/v1/files',
      '/v1/files/{path}',
      '/v1/content/{path}',
      '/v1/downloads',
      '/v1/move',
      '/v1/copy',
      '/v1/versions/{path}',
      '/v1/restore',
      '/v1/uploads',
      '/v1/uploads/{id}',
      '/v1/uploads/{id}/parts',
      '/v1/uploads/{id}/complete',
      '/v1/tokens',
      '/v1/tokens/{id}',
      '/v1/shares',
      '/s/{id}',
      '/healthz',
      '/readyz',
    ]) {
      expect(paths, path).toContain(path);
    }
    const create = doc.body.paths['/v1/uploads'].post;
    const schema = doc.body.components.schemas.CreateUploadRequest;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateUploadRequest');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['path', 'size', 'contentType', 'sha256', 'ifMatch', 'ifNoneMatch']));
    expect(doc.body.paths['/v1/files/{path}'].delete.responses).toHaveProperty('412');
    // The bounds the API applies, as a client generated from the document would apply them.
    expect(schema.properties.size).toMatchObject({ type: 'integer', minimum: 0, maximum: 5 * 1024 ** 4 });
    expect(schema.properties.partSize).toEqual({ type: 'integer', minimum: 5 * 1024 ** 2, maximum: 5 * 1024 ** 3 });
    expect(doc.body.components.schemas.PartsRequest.properties.partNumbers.items).toEqual({ type: 'integer', minimum: 1, maximum: 10000 });
    expect(Object.keys(doc.body.paths['/s/{id}'].get.responses['404'].content)).toEqual(['application/json', 'text/html']);
  });

  it('lets a page of an allowed origin send every header the API reads', async () => {
    const preflight = await fetch(`${server.url}/v1/files/a.txt`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Headers': 'authorization,if-match,if-none-match' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-match', 'if-none-match']));
  });

  it('gives every response a request id', async () => {
    const response = await api.get('/healthz');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the web UI in a page no other site may frame: on Node by its headers, on Workers by the _headers the build writes', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    const built = await mkdtemp(join(tmpdir(), 'dfs-ui-'));
    try {
      await buildUi(built);
      expect(await readFile(join(built, '_headers'), 'utf8')).toBe(
        "/\n  X-Frame-Options: DENY\n  Content-Security-Policy: frame-ancestors 'none'\n/index.html\n  X-Frame-Options: DENY\n  Content-Security-Policy: frame-ancestors 'none'\n",
      );
    } finally {
      await rm(built, { recursive: true, force: true });
    }
  });
});
