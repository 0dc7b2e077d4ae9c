import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCleanup } from '../../src/core/cleanup.ts';
import { completeUpload } from '../../src/core/uploads.ts';
import { SigV4Presigner } from '../../src/store/sigv4-presigner.ts';
import { Api, downloadBytes, encodePath, md5Base64, randomBytes, sameBytes, sha256Hex, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
});
afterAll(() => server?.close());

const later = (seconds: number) => () => new Date(Date.now() + seconds * 1000);

/** Uploads `count` versions of `path` ("version 0", "version 1", ...) and returns their object keys. */
async function uploadVersions(target: TestServer, path: string, count: number): Promise<string[]> {
  const tapi = new Api(target.url, target.adminToken);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const done = await uploadBytes(tapi, path, new TextEncoder().encode(`version ${i}`));
    expect(done.status).toBe(200);
    keys.push((await target.ctx.index.getVersion(done.body.version))!.objectKey);
  }
  return keys;
}

describe('single-request uploads', () => {
  it('round-trips bytes through a presigned PUT and GET', async () => {
    const bytes = randomBytes(100_000, 7);
    const sha256 = await sha256Hex(bytes);
    const done = await uploadBytes(api, 'single/data.bin', bytes, { sha256 });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ path: 'single/data.bin', size: bytes.length, sha256, contentType: 'application/octet-stream' });
    expect(await sameBytes(await downloadBytes(api, 'single/data.bin'), bytes)).toBe('same');

    const stat = await api.get(`/v1/files/${encodePath('single/data.bin')}`);
    expect(stat.status).toBe(200);
    expect(stat.body.version).toBe(done.body.version);
    expect(stat.headers.get('etag')).toBe(`"${done.body.version}"`);
  });

  it('stores an empty file', async () => {
    const done = await uploadBytes(api, 'single/empty', new Uint8Array(0));
    expect(done.status).toBe(200);
    expect(done.body.size).toBe(0);
    expect((await downloadBytes(api, 'single/empty')).length).toBe(0);
  });

  it('never lets an upload URL rewrite the bytes it stored: not after commit, not through a copy', async () => {
    const created = await api.post('/v1/uploads', { path: 'oneshot/tool.sh', size: 5 });
    expect(created.body.headers['If-None-Match']).toBe('*');
    expect(created.body.url).toMatch(/X-Amz-SignedHeaders=[^&]*if-none-match/i);
    const send = (body: string) => fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
    expect((await send('echo!')).status).toBe(200);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
    expect((await api.post('/v1/copy', { from: 'oneshot/tool.sh', to: 'public/tool.sh' })).status).toBe(201);
    const again = await send('rm -r');
    expect(again.status).toBe(412);
    expect(await again.text()).toContain('PreconditionFailed');
    // Without the header the signature no longer holds.
    const { 'If-None-Match': _, ...unconditional } = created.body.headers;
    expect((await fetch(created.body.url, { method: 'PUT', headers: unconditional, body: 'rm -r' })).status).toBe(403);
    for (const path of ['oneshot/tool.sh', 'public/tool.sh']) expect(new TextDecoder().decode(await downloadBytes(api, path))).toBe('echo!');
  });

  it('leaves the bucket closed to requests without a signature, or signed with a key anyone has', async () => {
    const created = await api.post('/v1/uploads', { path: 'oneshot/closed.txt', size: 4 });
    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'mine' })).status).toBe(200);
    const object = new URL(created.body.url);
    object.search = '';
    const bucket = `${object.origin}/${object.pathname.split('/')[1]}`;
    // s3rver's built-in key is public: a request signed with it is one anybody could make.
    const publicKey = new SigV4Presigner({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, 'us-east-1', { queryEncoding: 'uri-component' });
    const signedByAnyone = await publicKey.presign({ method: 'GET', url: object.href, headers: {}, query: {}, expiresInSeconds: 60, date: new Date() });
    const refusals = [
      await fetch(signedByAnyone),
      await fetch(object, { method: 'GET' }),
      await fetch(object, { method: 'PUT', body: 'evil' }),
      await fetch(object, { method: 'DELETE' }),
      await fetch(`${bucket}?prefix=`, { method: 'GET' }),
    ];
    expect(refusals.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
    expect(new TextDecoder().decode(await downloadBytes(api, 'oneshot/closed.txt'))).toBe('mine');
  });

  it('answers a retried complete without telling where the file went out of the token\'s reach', async () => {
    const created = await api.post('/v1/tokens', { name: 'team-retry', scopes: ['read', 'write'], prefix: 'team-retry/' });
    const team = api.as(created.body.token);
    const upload = await team.post('/v1/uploads', { path: 'team-retry/report.txt', size: 5 });
    expect((await fetch(upload.body.url, { method: 'PUT', headers: upload.body.headers, body: 'draft' })).status).toBe(200);
    const uploadId = upload.body.id;
    const done = await team.post(`/v1/uploads/${uploadId}/complete`, {});
    expect(done.status).toBe(200);
    expect((await api.post('/v1/move', { from: 'team-retry/report.txt', to: 'board/layoffs.txt' })).status).toBe(200);
    const retried = await team.post(`/v1/uploads/${uploadId}/complete`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ path: 'team-retry/report.txt', version: done.body.version, size: 5 });
    expect(JSON.stringify(retried.body)).not.toContain('board');
    // The admin, who may see it there, is told where it is.
    expect((await api.post(`/v1/uploads/${uploadId}/complete`, {})).body.path).toBe('board/layoffs.txt');
  });

  it('answers the loser of two racing completes without telling where the file went out of its reach', async () => {
    const team = { tokenId: 'team-race', name: 'team-race', scopes: ['read', 'write'] as const, prefix: 'team-race/', expiresAt: null };
    const upload = await api.post('/v1/uploads', { path: 'team-race/minutes.txt', size: 5 });
    expect((await fetch(upload.body.url, { method: 'PUT', headers: upload.body.headers, body: 'notes' })).status).toBe(200);
    // While this complete checks the store, another one commits the upload and the admin moves the file away.
    const store = server.ctx.store;
    const racing = new Proxy(store, {
      get: (target, name) =>
        name === 'head'
          ? async (key: string) => {
              const found = await target.head(key);
              await completeUpload(server.ctx, team, upload.body.id, {});
              expect((await api.post('/v1/move', { from: 'team-race/minutes.txt', to: 'board/minutes.txt' })).status).toBe(200);
              return found;
            }
          : Reflect.get(target, name, target).bind(target),
    });
    const lost = await completeUpload({ ...server.ctx, store: racing }, team, upload.body.id, {});
    expect(lost).toMatchObject({ path: 'team-race/minutes.txt', size: 5 });
    expect((await api.get('/v1/files/board/minutes.txt')).body.version).toBe(lost.version);
  });

  it('signs Content-Type and Content-Length, and guesses the type from the name', async () => {
    const created = await api.post('/v1/uploads', { path: 'single/page.html', size: 5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ method: 'PUT', path: 'single/page.html' });
    expect(created.body.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(created.body.headers['Content-Length']).toBe('5');
    expect(created.body.url).toMatch(/X-Amz-SignedHeaders=[^&]*content-length/i);
    expect(created.body.url).toMatch(/X-Amz-SignedHeaders=[^&]*content-type/i);
  });

  it('refuses to commit before the bytes arrive, then commits when they do', async () => {
    const bytes = randomBytes(1000, 3);
    const created = await api.post('/v1/uploads', { path: 'single/late.bin', size: bytes.length });
    const early = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
    expect(early.status).toBe(422);
    expect(early.body.error.code).toBe('upload_incomplete');
    expect((await api.get(`/v1/files/${encodePath('single/late.bin')}`)).status).toBe(404);

    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes });
    const done = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
    expect(done.status).toBe(200);
    // Completing again is safe and answers with the same entry.
    const again = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(done.body.version);
  });

  it('has the store refuse bytes that differ from what was signed', async () => {
    const created = await api.post('/v1/uploads', { path: 'single/strict.bin', size: 10, contentType: 'text/plain' });
    const { url, headers } = created.body;
    const wrongLength = await fetch(url, { method: 'PUT', headers: { 'Content-Type': headers['Content-Type'] }, body: 'elevenbytes' });
    expect(wrongLength.status).toBeGreaterThanOrEqual(400);
    const wrongType = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: '0123456789' });
    expect(wrongType.status).toBe(403);
    const tampered = await fetch(url.replace(/X-Amz-Signature=([0-9a-f])/, (_: string, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`), {
      method: 'PUT',
      headers,
      body: '0123456789',
    });
    expect(tampered.status).toBe(403);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(422);
  });

  it('has the store refuse a URL once it has expired, and commits nothing', async () => {
    const short = await startTestServer({ env: { DFS_URL_EXPIRES: '3' } });
    try {
      const sapi = new Api(short.url, short.adminToken);
      const created = await sapi.post('/v1/uploads', { path: 'expired.txt', size: 1 });
      expect(new URL(created.body.url).searchParams.get('X-Amz-Expires')).toBe('3');
      // A URL of the same server and store, signed the same way and sent at once (signing times
      // are whole seconds: 2 s of its 3 are left), is taken: the refusal below is the expiry.
      const control = await sapi.post('/v1/uploads', { path: 'in-time.txt', size: 1 });
      expect((await fetch(control.body.url, { method: 'PUT', headers: control.body.headers, body: 'x' })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      const put = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'x' });
      expect(put.status).toBe(403);
      expect(await short.ctx.store.head((await short.ctx.index.getUpload(created.body.id))!.objectKey)).toBeNull();
      expect((await sapi.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(422);
      expect((await sapi.get('/v1/files/expired.txt')).status).toBe(404);
    } finally {
      await short.close();
    }
  });
});

describe('multipart uploads', () => {
  it('round-trips a 40 MiB file in parts signed on demand', async () => {
    const bytes = randomBytes(40 * MiB + 12345, 11);
    const sha256 = await sha256Hex(bytes);
    const created = await api.post('/v1/uploads', { path: 'big/forty.bin', size: bytes.length, sha256, partSize: 5 * MiB });
    expect(created.status).toBe(201);
    expect(created.body.partSize).toBe(5 * MiB);
    expect(created.body.partCount).toBe(9);
    // Only the first parts are signed up front.
    expect(created.body.parts.length).toBeLessThanOrEqual(10);
    for (const part of created.body.parts) expect(part.headers['Content-Length']).toBe(String(part.partNumber === 9 ? bytes.length - 8 * 5 * MiB : 5 * MiB));

    const done = await uploadBytes(api, 'big/forty.bin', bytes, { sha256, partSize: 5 * MiB });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ size: bytes.length, sha256 });
    expect(await sha256Hex(await downloadBytes(api, 'big/forty.bin'))).toBe(sha256);
    await api.delete(`/v1/uploads/${created.body.id}`);
  });

  it('reports stored parts for resume and refuses a complete with parts missing', async () => {
    const bytes = randomBytes(12 * MiB, 5);
    const created = await api.post('/v1/uploads', { path: 'big/resume.bin', size: bytes.length, multipart: true, partSize: 5 * MiB });
    const { id, parts, partSize } = created.body;
    expect(parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 2, 3]);
    const put = async (n: number) => {
      const slice = bytes.subarray((n - 1) * partSize, Math.min(n * partSize, bytes.length));
      const response = await fetch(parts[n - 1].url, { method: 'PUT', headers: parts[n - 1].headers, body: slice });
      await response.arrayBuffer();
      expect(response.ok).toBe(true);
      return response.headers.get('etag')!;
    };
    const etag1 = await put(1);
    const etag3 = await put(3);

    const state = await api.get(`/v1/uploads/${id}`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ state: 'pending', partCount: 3, partSize: 5 * MiB, size: bytes.length });
    expect(state.body.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 3]);

    const incomplete = await api.post(`/v1/uploads/${id}/complete`, {});
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.error.message).toMatch(/missing.*2/);

    const etag2 = await put(2);
    const wrongEtags = await api.post(`/v1/uploads/${id}/complete`, {
      parts: [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag3 },
        { partNumber: 3, etag: etag3 },
      ],
    });
    expect(wrongEtags.status).toBe(422);
    // A part named twice would leave another unchecked: S3 refuses such a list, and so does dfs.
    const twice = await api.post(`/v1/uploads/${id}/complete`, {
      parts: [
        { partNumber: 1, etag: etag1 },
        { partNumber: 1, etag: etag1 },
        { partNumber: 3, etag: etag3 },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatchObject({ code: 'invalid_request', message: 'parts names part 1 twice' });
    expect((await api.get('/v1/files/big/resume.bin')).status).toBe(404);

    const done = await api.post(`/v1/uploads/${id}/complete`, {
      parts: [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag2 },
        { partNumber: 3, etag: etag3 },
      ],
    });
    expect(done.status).toBe(200);
    expect(await sameBytes(await downloadBytes(api, 'big/resume.bin'), bytes)).toBe('same');
    expect((await api.get(`/v1/uploads/${id}`)).body.state).toBe('completed');
  });

  it('looks up all the folders of a deep path in one query (D1 counts each), and still finds a file among them', async () => {
    const folders = Array.from({ length: 60 }, (_, i) => `d${i}`);
    const deep = `${folders.join('/')}/file.txt`;
    const reads = {
      getFile: vi.spyOn(server.ctx.index, 'getFile'),
      filesAt: vi.spyOn(server.ctx.index, 'filesAt'),
      hasFilesUnder: vi.spyOn(server.ctx.index, 'hasFilesUnder'),
      foldersWithFiles: vi.spyOn(server.ctx.index, 'foldersWithFiles'),
    };
    try {
      expect((await api.post('/v1/uploads', { path: deep, size: 1 })).status).toBe(201);
      // The file at the path and at its 60 folders in one query, whether it is a folder in another.
      expect([reads.getFile, reads.filesAt, reads.hasFilesUnder, reads.foldersWithFiles].map((spy) => spy.mock.calls.length)).toEqual([0, 1, 0, 1]);
      expect(reads.filesAt.mock.calls[0]![0]).toHaveLength(61);
    } finally {
      for (const spy of Object.values(reads)) spy.mockRestore();
    }
    expect((await uploadBytes(api, 'd0/d1/d2', new TextEncoder().encode('a file'))).status).toBe(200);
    const clash = await api.post('/v1/uploads', { path: deep, size: 1 });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ reason: 'name_clash', message: `"d0/d1/d2" is a file, so it cannot hold "${deep}"` });
  });

  it('refuses a parts list for a single PUT, which has no parts to vouch for', async () => {
    const bytes = new TextEncoder().encode('one request');
    const created = await api.post('/v1/uploads', { path: 'single/parts.txt', size: bytes.length });
    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes })).ok).toBe(true);
    const refused = await api.post(`/v1/uploads/${created.body.id}/complete`, { parts: [{ partNumber: 7, etag: 'bogus' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_request', message: 'parts apply to multipart uploads only: this upload is a single PUT' });
    expect((await api.get('/v1/files/single/parts.txt')).status).toBe(404);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
  });

  it('signs more parts with Content-MD5 on request and validates the numbers', async () => {
    const created = await api.post('/v1/uploads', { path: 'big/md5.bin', size: 11 * MiB, multipart: true, partSize: 5 * MiB });
    const { id } = created.body;
    const md5 = Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array(1))).subarray(0, 16).toString('base64');
    const more = await api.post(`/v1/uploads/${id}/parts`, { partNumbers: [2, 3], md5s: [md5, md5] });
    expect(more.status).toBe(200);
    expect(more.body.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([2, 3]);
    expect(more.body.parts[0].headers['Content-MD5']).toBe(md5);
    expect(more.body.parts[1].headers['Content-Length']).toBe(String(1 * MiB));
    for (const bad of [{ partNumbers: [4] }, { partNumbers: [0] }, { partNumbers: [1, 1] }, { partNumbers: [] }, { partNumbers: [1], md5s: [md5, md5] }, { partNumbers: [1.5] }]) {
      const response = await api.post(`/v1/uploads/${id}/parts`, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api.delete(`/v1/uploads/${id}`)).status).toBe(204);
    expect((await api.post(`/v1/uploads/${id}/parts`, { partNumbers: [1] })).status).toBe(404);
  });

  it('leaves nothing of bytes that are not the ones whose MD5 was signed, in one PUT or in a part', async () => {
    const good = randomBytes(6 * MiB, 72);
    // One bit flipped on the way: same length, so only the digest can tell.
    const bad = good.slice();
    bad[4321] = bad[4321]! ^ 1;
    const refused = async (url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>) => {
      const response = await fetch(url, { method: 'PUT', headers, body });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('BadDigest');
    };

    const single = (await api.post('/v1/uploads', { path: 'md5/single.bin', size: MiB, md5: md5Base64(good.subarray(0, MiB)) })).body;
    await refused(single.url, single.headers, bad.subarray(0, MiB));
    expect((await api.post(`/v1/uploads/${single.id}/complete`, {})).status).toBe(422);
    expect((await fetch(single.url, { method: 'PUT', headers: single.headers, body: good.subarray(0, MiB) })).status).toBe(200);
    expect((await api.post(`/v1/uploads/${single.id}/complete`, {})).status).toBe(200);
    expect(await sameBytes(await downloadBytes(api, 'md5/single.bin'), good.subarray(0, MiB))).toBe('same');

    const multi = (await api.post('/v1/uploads', { path: 'md5/multi.bin', size: good.length, multipart: true, partSize: 5 * MiB })).body;
    const [first, second] = [good.subarray(0, 5 * MiB), good.subarray(5 * MiB)];
    const [part1, part2] = (await api.post(`/v1/uploads/${multi.id}/parts`, { partNumbers: [1, 2], md5s: [md5Base64(first), md5Base64(second)] })).body.parts;
    await refused(part1.url, part1.headers, bad.subarray(0, 5 * MiB));
    expect((await api.get(`/v1/uploads/${multi.id}`)).body.parts).toEqual([]);
    for (const [part, bytes] of [[part1, first], [part2, second]] as const) {
      expect((await fetch(part.url, { method: 'PUT', headers: part.headers, body: bytes })).status).toBe(200);
    }
    expect((await api.post(`/v1/uploads/${multi.id}/complete`, {})).status).toBe(200);
    expect(await sameBytes(await downloadBytes(api, 'md5/multi.bin'), good)).toBe('same');
  });

  it('refuses parts of the wrong size before assembling anything', async () => {
    const created = await api.post('/v1/uploads', { path: 'big/short.bin', size: 11 * MiB, multipart: true, partSize: 5 * MiB });
    const { id, parts } = created.body;
    // A client that ignores the signed length cannot get a short part in: the store refuses it.
    const short = await fetch(parts[0].url, { method: 'PUT', body: new Uint8Array(1024) });
    expect(short.status).toBeGreaterThanOrEqual(400);
    expect((await api.post(`/v1/uploads/${id}/complete`, {})).status).toBe(422);
    expect((await api.get(`/v1/files/${encodePath('big/short.bin')}`)).status).toBe(404);
  });
});

describe('abandoned and aborted uploads', () => {
  it('never shows an unfinished upload and cleans it up after it expires', async () => {
    const bytes = randomBytes(6 * MiB, 9);
    const single = await api.post('/v1/uploads', { path: 'abandoned/one.bin', size: 100 });
    await fetch(single.body.url, { method: 'PUT', headers: single.body.headers, body: bytes.subarray(0, 100) });
    const multi = await api.post('/v1/uploads', { path: 'abandoned/two.bin', size: bytes.length, multipart: true, partSize: 5 * MiB });
    await fetch(multi.body.parts[0].url, { method: 'PUT', headers: multi.body.parts[0].headers, body: bytes.subarray(0, 5 * MiB) });

    const listing = await api.get('/v1/files?prefix=abandoned/');
    expect(listing.body.files).toEqual([]);
    expect((await api.get('/v1/files?delimiter=/')).body.folders).not.toContain('abandoned/');

    // Expired, it can no longer be completed, and its state says so before cleanup has run.
    const clock = server.ctx.clock;
    server.ctx.clock = later(86400 + 60);
    try {
      const expired = await api.get(`/v1/uploads/${single.body.id}`);
      expect(expired.status).toBe(200);
      expect(expired.body).toMatchObject({ state: 'aborted', parts: [] });
      expect((await api.post(`/v1/uploads/${single.body.id}/complete`, {})).status).toBe(404);
    } finally {
      server.ctx.clock = clock;
    }
    expect((await api.get(`/v1/uploads/${single.body.id}`)).body).toMatchObject({ state: 'pending', parts: [{ partNumber: 1, size: 100 }] });

    // Cleanup before expiry touches nothing; a day and a grace period later it removes both.
    const early = await runCleanup(server.ctx);
    expect(early.expiredUploads).toBe(0);
    const objectKey = (await server.ctx.index.getUpload(single.body.id))!.objectKey;
    const multipart = (await server.ctx.index.getUpload(multi.body.id))!;
    expect(await server.ctx.store.head(objectKey)).not.toBeNull();
    expect(await server.ctx.store.listParts(multipart.objectKey, multipart.multipartId!)).toHaveLength(1);

    const report = await runCleanup({ ...server.ctx, clock: later(2 * 86400) });
    expect(report.expiredUploads).toBeGreaterThanOrEqual(2);
    expect(await server.ctx.store.head(objectKey)).toBeNull();
    expect((await server.ctx.index.getUpload(multi.body.id))?.state ?? 'purged').not.toBe('pending');
    expect(await server.ctx.store.listParts(multipart.objectKey, multipart.multipartId!)).toBeNull();
    expect((await api.post(`/v1/uploads/${single.body.id}/complete`, {})).status).toBe(404);
  });

  it('aborts an upload, discarding its bytes, idempotently', async () => {
    const created = await api.post('/v1/uploads', { path: 'aborted/x.bin', size: 3 });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'abc' });
    const key = (await server.ctx.index.getUpload(created.body.id))!.objectKey;
    expect((await api.delete(`/v1/uploads/${created.body.id}`)).status).toBe(204);
    expect((await api.delete(`/v1/uploads/${created.body.id}`)).status).toBe(204);
    expect(await server.ctx.store.head(key)).toBeNull();
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(404);
    expect((await api.get(`/v1/files/${encodePath('aborted/x.bin')}`)).status).toBe(404);
  });

  it('collects a PUT that lands after the abort, even one still arriving when the URL expired', async () => {
    const created = await api.post('/v1/uploads', { path: 'aborted/late.bin', size: 4 });
    const key = (await server.ctx.index.getUpload(created.body.id))!.objectKey;
    expect((await api.delete(`/v1/uploads/${created.body.id}`)).status).toBe(204);
    // The URL is still valid, so the store takes the bytes.
    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'late' })).ok).toBe(true);
    await runCleanup(server.ctx);
    expect([...(await server.ctx.store.listObjects(key)).keys()]).toEqual([key]);
    // Once the URL has expired a PUT begun before may still be arriving (a big file, a slow
    // link): had cleanup gone then, what it lands would stay for ever. It waits the grace too.
    const { urlExpiresSeconds, cleanupGraceSeconds } = server.ctx.settings;
    await runCleanup({ ...server.ctx, clock: later(urlExpiresSeconds + 1) });
    expect([...(await server.ctx.store.listObjects(key)).keys()]).toEqual([key]);
    await runCleanup({ ...server.ctx, clock: later(urlExpiresSeconds + cleanupGraceSeconds + 1) });
    expect([...(await server.ctx.store.listObjects(key)).keys()]).toEqual([]);
  });

  it('collects a PUT retried after a complete failed its precondition, once the URL has expired', async () => {
    const created = await api.post('/v1/uploads', { path: 'aborted/raced.txt', size: 4, ifNoneMatch: '*' });
    const key = (await server.ctx.index.getUpload(created.body.id))!.objectKey;
    const put = () => fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'lost' });
    expect((await put()).ok).toBe(true);
    expect((await uploadBytes(api, 'aborted/raced.txt', new TextEncoder().encode('won'))).status).toBe(200);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(412);
    await runCleanup(server.ctx);
    // The URL creates its object only: it cannot write again while the object is there.
    expect((await put()).status).toBe(412);

    await runCleanup({ ...server.ctx, clock: later(server.ctx.settings.urlExpiresSeconds + server.ctx.settings.cleanupGraceSeconds + 1) });
    expect([...(await server.ctx.store.listObjects(key)).keys()]).toEqual([]);
    expect(new TextDecoder().decode(await downloadBytes(api, 'aborted/raced.txt'))).toBe('won');
  });

  it('refuses to abort a completed upload', async () => {
    const created = await api.post('/v1/uploads', { path: 'aborted/kept.txt', size: 1 });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: 'k' });
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
    const refused = await api.delete(`/v1/uploads/${created.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', reason: 'upload_completed' });
    expect(await downloadBytes(api, 'aborted/kept.txt')).toEqual(new TextEncoder().encode('k'));
  });
});

describe('garbage after overwrite and retention', () => {
  it('keeps replaced versions up to the limit and deletes the rest after the commit', async () => {
    const limited = await startTestServer({ env: { DFS_KEEP_VERSIONS: '2', DFS_URL_EXPIRES: '60' } });
    try {
      const lapi = new Api(limited.url, limited.adminToken);
      const keys = await uploadVersions(limited, 'kept.txt', 4);
      const versions = await lapi.get('/v1/versions/kept.txt');
      expect(versions.body.versions).toHaveLength(2);
      // Pruned objects wait for outstanding download URLs to expire, then go.
      await runCleanup(limited.ctx);
      expect(await limited.ctx.store.head(keys[0]!)).not.toBeNull();
      const report = await runCleanup({ ...limited.ctx, clock: later(120) });
      expect(report.deletedObjects).toBe(2);
      expect(await limited.ctx.store.head(keys[0]!)).toBeNull();
      expect(await limited.ctx.store.head(keys[1]!)).toBeNull();
      expect(await limited.ctx.store.head(keys[2]!)).not.toBeNull();
      expect(new TextDecoder().decode(await downloadBytes(lapi, 'kept.txt'))).toBe('version 3');
    } finally {
      await limited.close();
    }
  });

  it('goes on past an object the store refuses to delete, and tries it again an hour later', async () => {
    const limited = await startTestServer({ env: { DFS_KEEP_VERSIONS: '1', DFS_URL_EXPIRES: '60' } });
    try {
      const keys = await uploadVersions(limited, 'held.txt', 4);
      const [held, ...others] = keys.slice(0, 3);
      // s3rver cannot refuse one key of a batch; this stands in for an object under a legal hold.
      const store = limited.ctx.store;
      const refuseHeld = async (objectKeys: string[]) => [...(await store.deleteObjects(objectKeys.filter((key) => key !== held))), ...objectKeys.filter((key) => key === held)];
      const holding = new Proxy(store, {
        get: (target, name) => (name === 'deleteObjects' ? refuseHeld : Reflect.get(target, name, target).bind(target)),
      });
      const report = await runCleanup({ ...limited.ctx, store: holding, clock: later(120) });
      expect(report).toMatchObject({ deletedObjects: 2, refusedObjects: 1 });
      for (const key of others) expect(await store.head(key!)).toBeNull();
      expect(await store.head(held!)).not.toBeNull();
      // Not due again within the hour; then the store takes it.
      expect((await runCleanup({ ...limited.ctx, clock: later(600) })).deletedObjects).toBe(0);
      expect((await runCleanup({ ...limited.ctx, clock: later(3800) })).deletedObjects).toBe(1);
      expect(await store.head(held!)).toBeNull();
      expect(await store.head(keys[3]!)).not.toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('drops replaced versions older than DFS_KEEP_DAYS; two cleanups racing each other leave it consistent', async () => {
    const aging = await startTestServer({ env: { DFS_KEEP_DAYS: '1', DFS_URL_EXPIRES: '60' } });
    try {
      const aapi = new Api(aging.url, aging.adminToken);
      const keys = await uploadVersions(aging, 'aged.txt', 3);
      expect((await runCleanup(aging.ctx)).prunedVersions).toBe(0);

      const race = async (seconds: number) => {
        const reports = await Promise.all([runCleanup({ ...aging.ctx, clock: later(seconds) }), runCleanup({ ...aging.ctx, clock: later(seconds) })]);
        return { pruned: reports[0].prunedVersions + reports[1].prunedVersions, deleted: reports[0].deletedObjects + reports[1].deletedObjects };
      };
      // Two days on, the replaced versions are past retention; their objects wait for URLs.
      expect(await race(2 * 86400)).toEqual({ pruned: 2, deleted: 0 });
      expect((await aapi.get('/v1/versions/aged.txt')).body.versions).toHaveLength(1);
      expect(await aging.ctx.store.head(keys[0]!)).not.toBeNull();
      // Both runs may delete the same unreferenced objects (deleting is idempotent); never more.
      const collected = await race(2 * 86400 + 120);
      expect(collected.pruned).toBe(0);
      expect([2, 3, 4]).toContain(collected.deleted);
      expect(await aging.ctx.store.head(keys[2]!)).not.toBeNull();
      expect(await aging.ctx.store.head(keys[0]!)).toBeNull();
      expect(await aging.ctx.store.head(keys[1]!)).toBeNull();
      expect(new TextDecoder().decode(await downloadBytes(aapi, 'aged.txt'))).toBe('version 2');
      expect(await race(3 * 86400)).toEqual({ pruned: 0, deleted: 0 });
    } finally {
      await aging.close();
    }
  });
});
