import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Api, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let api: Api;

/** Everything a bad request could have changed: files, versions, tokens, uploads, shares, garbage. */
async function snapshot() {
  const files = await server.ctx.index.listFiles({ start: '', startInclusive: true, end: null, limit: 10_000 });
  const versions = await Promise.all(files.map((f) => server.ctx.index.listVersions(f.path)));
  // The rest has no listing in the API: read the index file itself (committed state, WAL included).
  const db = new DatabaseSync(join(server.dataDir, 'index.db'), { readOnly: true });
  try {
    const tables = Object.fromEntries(['uploads', 'shares', 'garbage'].map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()]));
    return JSON.stringify({ files, versions, tokens: await server.ctx.index.listTokens(), ...tables });
  } finally {
    db.close();
  }
}

let before: string;
beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
  expect((await uploadBytes(api, 'safe/file.txt', new TextEncoder().encode('keep me'))).status).toBe(200);
});
afterAll(() => server?.close());
beforeEach(async () => {
  before = await snapshot();
});

const expectError = async (response: { status: number; body: any }, status: number, codes: string[]) => {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(codes).toContain(response.body.error.code);
  expect(typeof response.body.error.message).toBe('string');
  expect(await snapshot()).toBe(before);
};

describe('hostile paths', () => {
  const bad = [
    '..',
    '.',
    'a/../b',
    'a/./b',
    '../etc/passwd',
    'a//b',
    '/leading',
    'trailing/',
    '',
    'nul\u0000byte',
    'new\nline',
    'tab\there',
    'esc\u001bape',
    'del\u007f',
    'x'.repeat(1025),
    `a/${'y'.repeat(256)}`,
  ];

  it.each(bad)('upload create refuses %j with invalid_path', async (path) => {
    await expectError(await api.post('/v1/uploads', { path, size: 1 }), 400, ['invalid_path']);
  });

  it.each(bad.filter((p) => p !== ''))('move, copy, share, download and restore refuse %j', async (path) => {
    await expectError(await api.post('/v1/move', { from: 'safe/file.txt', to: path }), 400, ['invalid_path']);
    await expectError(await api.post('/v1/move', { from: path, to: 'safe/other' }), 400, ['invalid_path']);
    await expectError(await api.post('/v1/copy', { from: 'safe/file.txt', to: path }), 400, ['invalid_path']);
    await expectError(await api.post('/v1/shares', { path }), 400, ['invalid_path']);
    await expectError(await api.post('/v1/downloads', { path }), 400, ['invalid_path']);
    await expectError(await api.post('/v1/restore', { path, version: 'v' }), 400, ['invalid_path']);
  });

  it('refuses control characters and over-long names in URLs', async () => {
    await expectError(await api.get('/v1/files/a%00b'), 400, ['invalid_path']);
    await expectError(await api.get('/v1/files/a%0Ab'), 400, ['invalid_path']);
    await expectError(await api.delete(`/v1/files/${'z'.repeat(1025)}`), 400, ['invalid_path']);
    await expectError(await api.delete(`/v1/files/a/${'z'.repeat(256)}`), 400, ['invalid_path']);
    await expectError(await api.get('/v1/files/a//b'), 400, ['invalid_path']);
  });

  it('refuses new names with bidirectional controls, which display as another name', async () => {
    for (const path of ['h/invoice\u202efdp.exe', 'h/a\u2066b']) {
      await expectError(await api.post('/v1/uploads', { path, size: 1 }), 400, ['invalid_path']);
      await expectError(await api.post('/v1/move', { from: 'safe/file.txt', to: path }), 400, ['invalid_path']);
      await expectError(await api.post('/v1/copy', { from: 'safe/file.txt', to: path }), 400, ['invalid_path']);
    }
  });

  describe('escapes that do not decode', () => {
    // The file whose name is "%FF" literally: its URL is safe/%25FF.
    beforeAll(async () => {
      expect((await uploadBytes(api, 'safe/%FF', new TextEncoder().encode('literal'))).status).toBe(200);
    });

    it('never stand for another file: a bad escape, a lone % or an overlong form is invalid_path', async () => {
      for (const raw of ['safe/%FF', 'safe/%', 'safe/%C0%AF', 'safe/%E2%82']) {
        await expectError(await api.get(`/v1/files/${raw}`), 400, ['invalid_path']);
        await expectError(await api.delete(`/v1/files/${raw}`), 400, ['invalid_path']);
      }
      expect((await api.get('/v1/files/safe/%25FF')).body.path).toBe('safe/%FF');
    });

    it('in a query, are invalid_request, never read as the literal text', async () => {
      // Each would be a valid request read literally (a listing of nothing, or of safe/%FF).
      for (const raw of ['prefix=safe/%FF', 'prefix=safe/%', 'prefix=%C0%AF']) {
        const refused = await api.get(`/v1/files?${raw}`);
        await expectError(refused, 400, ['invalid_request']);
        expect(refused.body.error.message).toBe('the query string is not valid percent-encoded UTF-8');
      }
      await expectError(await api.get('/v1/versions/safe/%25FF?version=%FF'), 400, ['invalid_request']);
      expect((await api.get('/v1/files?prefix=safe/%25FF')).body.files.map((f: { path: string }) => f.path)).toEqual(['safe/%FF']);
    });
  });

  it('resolves a raw ".." segment in the URL before routing, never into a path', async () => {
    const raw = await rawRequest(
      `DELETE /v1/files/safe/../safe/file.txt HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nAuthorization: Bearer ${server.adminToken}\r\nConnection: close\r\n\r\n`,
    );
    // The URL is resolved as every URL parser resolves it (safe/../safe/file.txt is
    // safe/file.txt) before routing, so the ".." never reaches a path: the file it names is
    // the one deleted, and nothing outside the namespace can be named this way.
    expect(raw.status).toBe(204);
    expect((await api.get('/v1/files/safe/file.txt')).status).toBe(404);
    expect((await api.get('/v1/files/safe')).status).toBe(404);
    expect((await uploadBytes(api, 'safe/file.txt', new TextEncoder().encode('keep me'))).status).toBe(200);
  });
});

describe('requests the HTTP parser refuses', () => {
  // Node answers these before any app code runs; they still get the API's error shape and an id.
  it('answers a URL over 16 KiB, or raw spaces and bytes in it, with the error shape and a request id', async () => {
    const host = `Host: ${new URL(server.url).host}\r\nAuthorization: Bearer ${server.adminToken}\r\nConnection: close\r\n\r\n`;
    const long = await rawRequest(`GET /v1/files/${'e'.repeat(20_000)} HTTP/1.1\r\n${host}`);
    expect(long.status).toBe(431);
    expect(JSON.parse(long.body)).toEqual({ error: { code: 'too_large', message: expect.stringContaining('16 KiB') } });
    expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const target of ['/v1/files/raw/caf\u00e9.txt', '/v1/files/a b.txt']) {
      const refused = await rawRequest(`GET ${target} HTTP/1.1\r\n${host}`);
      expect(refused.status, target).toBe(400);
      expect(JSON.parse(refused.body).error.code).toBe('invalid_request');
      expect(refused.headers['content-type']).toBe('application/json');
    }
    expect((await api.get('/healthz')).status).toBe(200);
  });

  it('never answers a bad request into the response to the one before it on the connection', async () => {
    const host = `Host: ${new URL(server.url).host}\r\n`;
    const raw = await rawRequest(`GET /healthz HTTP/1.1\r\n${host}\r\nGET /a b HTTP/1.1\r\n${host}\r\n`);
    // The connection is closed, as Node closes it; what came before that is one whole answer or none.
    expect(raw.text === '' || (raw.status === 200 && raw.text.split('HTTP/1.1 ').length === 2)).toBe(true);
  });
});

describe('hostile sizes and bodies', () => {
  it.each([
    [-1, 400, 'invalid_request'],
    [1.5, 400, 'invalid_request'],
    ['10', 400, 'invalid_request'],
    [null, 400, 'invalid_request'],
    [6 * 1024 ** 4, 413, 'too_large'],
    [1e300, 413, 'too_large'],
  ])('size %j -> %i', async (size, status, code) => {
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size }), status, [code]);
  });

  it('refuses a single PUT above 5 GiB and a part size outside the limits', async () => {
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size: 6 * 1024 ** 3, multipart: false }), 413, ['too_large']);
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size: 100 * 1024 ** 2, partSize: 1024 }), 400, ['invalid_request']);
  });

  it('refuses malformed JSON, wrong types, unknown fields and a missing content type', async () => {
    await expectError(await api.request('POST', '/v1/uploads', { rawBody: '{"path": "h/x", "size": ', headers: { 'content-type': 'application/json' } }), 400, ['invalid_request']);
    await expectError(await api.request('POST', '/v1/uploads', { rawBody: 'null', headers: { 'content-type': 'application/json' } }), 400, ['invalid_request']);
    await expectError(await api.request('POST', '/v1/uploads', { rawBody: '[]', headers: { 'content-type': 'application/json' } }), 400, ['invalid_request']);
    await expectError(await api.post('/v1/uploads', { path: 42, size: 1 }), 400, ['invalid_request', 'invalid_path']);
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size: 1, surprise: true }), 400, ['invalid_request']);
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size: 1, sha256: 'not-hex' }), 400, ['invalid_request']);
    await expectError(await api.post('/v1/uploads', { path: 'h/x', size: 1, contentType: 'text/plain\r\nX-Evil: 1' }), 400, ['invalid_request']);
    await expectError(await api.post('/v1/move', { from: 'safe/file.txt' }), 400, ['invalid_request']);
    expect(await snapshot()).toBe(before);
  });

  it('answers a body that is not JSON with 400 invalid_request, whatever its Content-Type', async () => {
    const bodies = [
      { rawBody: 'path=h/x&size=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { rawBody: '{"path": "h/x", "size": 1}', headers: { 'content-type': 'text/plain' } },
    ];
    const responses = await Promise.all(bodies.map((body) => api.request('POST', '/v1/uploads', body)));
    // fetch labels a string body text/plain; bytes go without any Content-Type.
    const untyped = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: new TextEncoder().encode('{"path": "h/x", "size": 1}'),
    });
    responses.push({ status: untyped.status, headers: untyped.headers, body: await untyped.json() });
    for (const response of responses) {
      await expectError(response, 400, ['invalid_request']);
      expect(response.body.error.message).toMatch(/Content-Type: application\/json/);
    }
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const huge = JSON.stringify({ path: 'h/x', size: 1, contentType: 'x'.repeat(2 * 1024 * 1024) });
    await expectError(await api.request('POST', '/v1/uploads', { rawBody: huge, headers: { 'content-type': 'application/json' } }), 413, ['too_large']);
  });
});

describe('hostile ids and part lists', () => {
  it('404s for unknown upload ids everywhere', async () => {
    for (const id of ['nope', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '%2E%2E', "x' OR 1=1 --"]) {
      const encoded = encodeURIComponent(id);
      await expectError(await api.get(`/v1/uploads/${encoded}`), 404, ['not_found']);
      await expectError(await api.post(`/v1/uploads/${encoded}/complete`, {}), 404, ['not_found']);
      await expectError(await api.post(`/v1/uploads/${encoded}/parts`, { partNumbers: [1] }), 404, ['not_found']);
      await expectError(await api.delete(`/v1/uploads/${encoded}`), 404, ['not_found']);
    }
    await expectError(await api.delete('/v1/tokens/nope'), 404, ['not_found']);
  });

  it('refuses wrong part lists at complete', async () => {
    const created = await api.post('/v1/uploads', { path: 'h/parts.bin', size: 11 * 1024 ** 2, multipart: true, partSize: 5 * 1024 ** 2 });
    expect(created.status).toBe(201);
    before = await snapshot();
    const id = created.body.id;
    await expectError(await api.post(`/v1/uploads/${id}/complete`, { parts: [{ partNumber: 0, etag: 'x' }] }), 400, ['invalid_request']);
    await expectError(await api.post(`/v1/uploads/${id}/complete`, { parts: [{ partNumber: 1 }] }), 400, ['invalid_request']);
    await expectError(await api.post(`/v1/uploads/${id}/complete`, { parts: 'all' }), 400, ['invalid_request']);
    await expectError(await api.post(`/v1/uploads/${id}/complete`, { parts: [{ partNumber: 1, etag: 'x' }] }), 422, ['upload_incomplete']);
    await expectError(await api.post(`/v1/uploads/${id}/parts`, { partNumbers: [10001] }), 400, ['invalid_request']);
    await expectError(await api.post(`/v1/uploads/${id}/parts`, { partNumbers: Array.from({ length: 1001 }, (_, i) => i + 1) }), 400, ['invalid_request']);
  });

  it('refuses preconditions that do not hold at create', async () => {
    await expectError(await api.post('/v1/uploads', { path: 'safe/file.txt', size: 1, ifNoneMatch: '*' }), 412, ['precondition_failed']);
    await expectError(await api.post('/v1/uploads', { path: 'safe/file.txt', size: 1, ifMatch: 'stale' }), 412, ['precondition_failed']);
    await expectError(await api.post('/v1/uploads', { path: 'safe/file.txt', size: 1, ifNoneMatch: 'x' }), 400, ['invalid_request']);
  });
});

describe('errors never leak internals', () => {
  it('answers unknown routes with the error shape', async () => {
    const response = await api.get('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});

/** One request written as is on a socket (UTF-8), and the answer as the socket received it. */
function rawRequest(text: string): Promise<{ status: number; headers: Record<string, string>; body: string; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const socket = createConnection(Number(url.port), url.hostname, () => socket.write(text));
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, text: data });
    });
    socket.on('error', reject);
  });
}

/** A POST whose body goes out in chunks, without Content-Length. */
function postChunked(path: string, chunks: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const request = httpRequest(`${server.url}${path}`, { method: 'POST', headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('bodies that are absent', () => {
  it('treats a POST without a body as an empty object', async () => {
    const created = await api.post('/v1/uploads', { path: 'h/nobody.txt', size: 0 });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: new Uint8Array(0) });
    const complete = await api.request('POST', `/v1/uploads/${created.body.id}/complete`);
    expect(complete.status).toBe(200);
    const missing = await api.request('POST', '/v1/uploads', { headers: { 'content-type': 'application/json' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/path/);
  });

  it('treats an empty chunked body as an empty object and reads a chunked one', async () => {
    const created = await postChunked('/v1/uploads', ['{"path": "h/chunked.txt", ', '"size": 0}']);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: new Uint8Array(0) });
    const complete = await postChunked(`/v1/uploads/${created.body.id}/complete`, []);
    expect(complete.status, JSON.stringify(complete.body)).toBe(200);
    expect(complete.body.path).toBe('h/chunked.txt');
  });

  it('reads a body that comes without Content-Length or Transfer-Encoding', async () => {
    // HTTP/1.1 cannot send such a request, but HTTP/2 and the Workers runtime hand the app one.
    const json = new TextEncoder().encode(JSON.stringify({ path: 'h/streamed.txt', size: 1 }));
    const request = new Request(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(json);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.has('content-length')).toBe(false);
    const response = await server.app.fetch(request);
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body.path).toBe('h/streamed.txt');
  });
});
