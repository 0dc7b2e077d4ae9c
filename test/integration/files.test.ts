import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, encodePath, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let api: Api;
const text = (s: string) => new TextEncoder().encode(s);
const put = async (path: string, content = path) => {
  const done = await uploadBytes(api, path, text(content));
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return done.body;
};
const read = async (path: string) => new TextDecoder().decode(await downloadBytes(api, path));
const exists = async (path: string) => (await api.get(`/v1/files/${encodePath(path)}`)).status === 200;

beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
});
afterAll(() => server?.close());

describe('listing', () => {
  it('lists under a prefix ending in the last code point, U+10FFFF', async () => {
    await put('top\u{10ffff}/a.txt');
    await put('top\u{10ffff}\u{10ffff}.txt');
    await put('top\u{10fffe}.txt');
    const page = await api.get(`/v1/files?prefix=${encodeURIComponent('top\u{10ffff}')}&delimiter=/`);
    expect(page.status).toBe(200);
    expect(page.body.files.map((f: { path: string }) => f.path)).toEqual(['top\u{10ffff}\u{10ffff}.txt']);
    expect(page.body.folders).toEqual(['top\u{10ffff}/']);
  });

  beforeAll(async () => {
    for (const path of ['list/a.txt', 'list/b.txt', 'list/sub/c.txt', 'list/sub/deeper/d.txt', 'list/sub2/e.txt', 'list/z.txt', 'listing-other.txt']) {
      await put(path);
    }
  });

  it('lists recursively in byte order without a delimiter', async () => {
    const page = await api.get('/v1/files?prefix=list/');
    expect(page.status).toBe(200);
    expect(page.body.files.map((f: { path: string }) => f.path)).toEqual([
      'list/a.txt',
      'list/b.txt',
      'list/sub/c.txt',
      'list/sub/deeper/d.txt',
      'list/sub2/e.txt',
      'list/z.txt',
    ]);
    expect(page.body.folders).toEqual([]);
    expect(page.body.nextCursor).toBeNull();
  });

  it('groups sub-folders with delimiter=/', async () => {
    const page = await api.get('/v1/files?prefix=list/&delimiter=/');
    expect(page.body.files.map((f: { path: string }) => f.path)).toEqual(['list/a.txt', 'list/b.txt', 'list/z.txt']);
    expect(page.body.folders).toEqual(['list/sub/', 'list/sub2/']);
    const entry = page.body.files[0];
    expect(Object.keys(entry).sort()).toEqual(['contentType', 'createdAt', 'path', 'sha256', 'size', 'updatedAt', 'version']);
  });

  it('pages with a cursor, counting files and folders together', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/files?prefix=list/&delimiter=/&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.get(query);
      expect(page.status).toBe(200);
      expect(page.body.files.length + page.body.folders.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.files.map((f: { path: string }) => f.path), ...page.body.folders);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.sort()).toEqual(['list/a.txt', 'list/b.txt', 'list/sub/', 'list/sub2/', 'list/z.txt']);
    expect(pages).toBe(3);
  });

  it('treats the prefix as a string prefix, as S3 does', async () => {
    const page = await api.get('/v1/files?prefix=list&delimiter=/');
    expect(page.body.folders).toEqual(['list/']);
    expect(page.body.files.map((f: { path: string }) => f.path)).toEqual(['listing-other.txt']);
  });

  it('lists names starting with dots by a partial prefix of dots', async () => {
    await put('dots/.env');
    await put('dots/..data');
    await put('dots/visible.txt');
    const names = async (prefix: string) => (await api.get(`/v1/files?prefix=${encodeURIComponent(prefix)}`)).body.files?.map((f: { path: string }) => f.path);
    expect(await names('dots/.')).toEqual(['dots/..data', 'dots/.env']);
    expect(await names('dots/..')).toEqual(['dots/..data']);
  });

  it('rejects bad parameters', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'delimiter=%7C', 'cursor=***', 'prefix=/abs', 'prefix=a//b']) {
      const response = await api.get(`/v1/files?${query}`);
      expect(response.status, query).toBe(400);
      expect(['invalid_request', 'invalid_path']).toContain(response.body.error.code);
    }
  });
});

describe('download links', () => {
  it('redirects to a presigned GET that honours Range', async () => {
    await put('dl/range.txt', '0123456789');
    const redirect = await api.get(`/v1/content/${encodePath('dl/range.txt')}`);
    expect(redirect.status).toBe(302);
    const response = await fetch(redirect.headers.get('location')!, { headers: { Range: 'bytes=2-5' } });
    expect(response.status).toBe(206);
    expect(await response.text()).toBe('2345');
  });

  it('returns url, size, sha256 and type from POST /v1/downloads, with the disposition asked for', async () => {
    await put('dl/über file.txt', 'hello');
    const link = await api.post('/v1/downloads', { path: 'dl/über file.txt', disposition: 'inline' });
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ size: 5, contentType: 'text/plain; charset=utf-8' });
    expect(Date.parse(link.body.expiresAt)).toBeGreaterThan(Date.now());
    const response = await fetch(link.body.url);
    expect(await response.text()).toBe('hello');
    expect(response.headers.get('content-disposition')).toMatch(/^inline/);
    expect(response.headers.get('content-disposition')).toContain("filename*=UTF-8''%C3%BCber%20file.txt");
  });

  it('404s for a missing file or version', async () => {
    expect((await api.get('/v1/content/dl/missing')).status).toBe(404);
    expect((await api.post('/v1/downloads', { path: 'dl/range.txt', version: 'nope' })).status).toBe(404);
  });
});

describe('delete', () => {
  it('deletes one file, honouring If-Match', async () => {
    const file = await put('del/one.txt');
    const stale = await api.delete(`/v1/files/del/one.txt`, { headers: { 'If-Match': '"not-the-version"' } });
    expect(stale.status).toBe(412);
    expect(await exists('del/one.txt')).toBe(true);
    // A list is not one strange version (a false 412): dfs takes one.
    const list = await api.delete(`/v1/files/del/one.txt`, { headers: { 'If-Match': `"x", "${file.version}"` } });
    expect(list.status).toBe(400);
    expect(list.body.error).toMatchObject({ code: 'invalid_request', message: 'If-Match takes one version (or *), unquoted or in quotes, not a list' });
    expect(await exists('del/one.txt')).toBe(true);
    // An empty one (a client sending `version ?? ''`) names no version: neither a condition dropped nor a false 412.
    for (const header of ['If-Match', 'If-None-Match']) {
      for (const value of ['', ' ', '""']) {
        const empty = await api.delete(`/v1/files/del/one.txt`, { headers: { [header]: value } });
        expect(empty.status, `${header}: ${value}`).toBe(400);
        expect(empty.body.error).toMatchObject({ code: 'invalid_request', message: `${header} is empty: name a version (or *)` });
      }
    }
    expect(await exists('del/one.txt')).toBe(true);
    expect((await api.delete(`/v1/files/del/one.txt`, { headers: { 'If-Match': `"${file.version}"` } })).status).toBe(204);
    expect(await exists('del/one.txt')).toBe(false);
    expect((await api.delete(`/v1/files/del/one.txt`)).status).toBe(404);
  });

  it('deletes whichever version is current with If-Match: *', async () => {
    await put('del/any.txt');
    expect((await api.delete(`/v1/files/del/any.txt`, { headers: { 'If-Match': '*' } })).status).toBe(204);
    expect(await exists('del/any.txt')).toBe(false);
    expect((await api.delete(`/v1/files/del/any.txt`, { headers: { 'If-Match': '*' } })).status).toBe(404);
    expect((await api.delete(`/v1/files/del?recursive=true`, { headers: { 'If-Match': '*' } })).status).toBe(400);
  });

  it('honours If-None-Match: a delete goes ahead only while the named version is not current, never with *', async () => {
    const older = await put('del/none-match.txt', 'first');
    const file = await put('del/none-match.txt', 'second');
    const star = await api.delete(`/v1/files/del/none-match.txt`, { headers: { 'If-None-Match': '*' } });
    expect(star.status).toBe(412);
    expect(star.body.error.code).toBe('precondition_failed');
    const current = await api.delete(`/v1/files/del/none-match.txt`, { headers: { 'If-None-Match': `"${file.version}"` } });
    expect(current.status).toBe(412);
    expect(await exists('del/none-match.txt')).toBe(true);
    expect((await api.delete(`/v1/files/del/none-match.txt`, { headers: { 'If-None-Match': `"${older.version}"` } })).status).toBe(204);
    expect(await exists('del/none-match.txt')).toBe(false);
    expect((await api.delete(`/v1/files/del/none-match.txt`, { headers: { 'If-None-Match': '*' } })).status).toBe(404);
    expect((await api.delete(`/v1/files/del?recursive=true`, { headers: { 'If-None-Match': '*' } })).status).toBe(400);
  });

  it('deletes a folder only with recursive=true', async () => {
    await put('del/tree/a.txt');
    await put('del/tree/deep/b.txt');
    await put('del/treehouse.txt');
    const refused = await api.delete('/v1/files/del/tree');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', reason: 'is_folder' });
    expect((await api.delete('/v1/files/del/tree?recursive=true')).status).toBe(204);
    expect((await api.get('/v1/files?prefix=del/tree/')).body.files).toEqual([]);
    expect(await exists('del/treehouse.txt')).toBe(true);
    expect((await api.delete('/v1/files/del/tree?recursive=true')).status).toBe(404);
  });
});

describe('move', () => {
  it('renames a file without copying bytes; versions follow', async () => {
    const original = await put('mv/old.txt', 'payload');
    const key = (await server.ctx.index.getFile('mv/old.txt'))!.objectKey;
    const moved = await api.post('/v1/move', { from: 'mv/old.txt', to: 'mv/renamed/new.txt' });
    expect(moved.status).toBe(200);
    expect(moved.body.moved).toBe(1);
    expect(moved.body.files[0]).toMatchObject({ path: 'mv/renamed/new.txt', version: original.version });
    expect((await server.ctx.index.getFile('mv/renamed/new.txt'))!.objectKey).toBe(key);
    expect(await exists('mv/old.txt')).toBe(false);
    expect(await read('mv/renamed/new.txt')).toBe('payload');
    expect((await api.get('/v1/versions/mv/renamed/new.txt')).body.versions).toHaveLength(1);
  });

  it('moves a whole folder atomically and refuses to overwrite without overwrite', async () => {
    await put('mv/src/a.txt', 'A');
    await put('mv/src/deep/b.txt', 'B');
    await put('mv/dst/a.txt', 'existing');
    const refused = await api.post('/v1/move', { from: 'mv/src', to: 'mv/dst' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', reason: 'target_exists' });
    expect(await read('mv/src/a.txt')).toBe('A');
    expect(await read('mv/dst/a.txt')).toBe('existing');

    const moved = await api.post('/v1/move', { from: 'mv/src', to: 'mv/dst', overwrite: true });
    expect(moved.status).toBe(200);
    expect(moved.body.moved).toBe(2);
    expect(await read('mv/dst/a.txt')).toBe('A');
    expect(await read('mv/dst/deep/b.txt')).toBe('B');
    expect((await api.get('/v1/files?prefix=mv/src/')).body.files).toEqual([]);
  });

  it('refuses moving a folder into itself, a missing source, and name clashes', async () => {
    await put('mv/self/x.txt');
    await put('mv/afile');
    expect((await api.post('/v1/move', { from: 'mv/self', to: 'mv/self/inner' })).status).toBe(400);
    expect((await api.post('/v1/move', { from: 'mv/nothing', to: 'mv/else' })).status).toBe(404);
    // A clash is not a target that exists: -f (overwrite) would not help, so the reason differs.
    for (const clash of [{ from: 'mv/self/x.txt', to: 'mv/afile/x.txt' }, { from: 'mv/afile', to: 'mv/self' }]) {
      const refused = await api.post('/v1/move', clash);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'conflict', reason: 'name_clash' });
    }
    expect(await exists('mv/self/x.txt')).toBe(true);
    expect(await exists('mv/afile')).toBe(true);

    // A file may go under its own name (the spot it leaves is no clash), in any script, and back;
    // under another file it may not.
    await put('mv/ré/日本');
    await put('mv/ré/其他');
    expect((await api.post('/v1/move', { from: 'mv/ré/日本', to: 'mv/ré/日本/𝄞x' })).status).toBe(200);
    expect((await api.post('/v1/move', { from: 'mv/ré/日本/𝄞x', to: 'mv/ré/日本' })).status).toBe(200);
    const under = await api.post('/v1/move', { from: 'mv/ré/日本', to: 'mv/ré/其他/𝄞x' });
    expect(under.body.error).toMatchObject({ code: 'conflict', reason: 'name_clash' });
    expect(await exists('mv/ré/日本')).toBe(true);
  });

  it('refuses a folder move that would make a path longer than 1024 bytes, moving nothing', async () => {
    const deep = `mv/long/${'f'.repeat(200)}/${'g'.repeat(200)}`;
    await put(deep, 'deep');
    await put('mv/long/short.txt', 'short');
    // Valid by itself (968 bytes), but the deep file would land 1386 bytes long.
    const to = `mv/${Array.from({ length: 4 }, () => 'h'.repeat(240)).join('/')}`;
    const refused = await api.post('/v1/move', { from: 'mv/long', to });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_path');
    expect(refused.body.error.message).toContain('1024 bytes');
    expect(await read(deep)).toBe('deep');
    expect(await read('mv/long/short.txt')).toBe('short');
    expect((await api.get(`/v1/files?prefix=${encodeURIComponent(`${to}/`)}`)).body.files).toEqual([]);
  });
});

describe('copy, versions and restore', () => {
  it('copies a file sharing its object', async () => {
    await put('cp/src.txt', 'copy me');
    const copy = await api.post('/v1/copy', { from: 'cp/src.txt', to: 'cp/dst.txt' });
    expect(copy.status).toBe(201);
    expect(copy.body.path).toBe('cp/dst.txt');
    expect(await read('cp/dst.txt')).toBe('copy me');
    const taken = await api.post('/v1/copy', { from: 'cp/src.txt', to: 'cp/dst.txt' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'conflict', reason: 'target_exists' });
    expect((await api.post('/v1/copy', { from: 'cp/src.txt', to: 'cp/dst.txt', overwrite: true })).status).toBe(201);
    expect((await api.post('/v1/copy', { from: 'cp/none.txt', to: 'cp/x.txt' })).status).toBe(404);
    const folder = await api.post('/v1/copy', { from: 'cp', to: 'cp2' });
    expect(folder.status).toBe(409);
    expect(folder.body.error).toMatchObject({ code: 'conflict', reason: 'is_folder' });
    // Deleting the source leaves the copy readable: the shared object is still referenced.
    await api.delete('/v1/files/cp/src.txt');
    expect(await read('cp/dst.txt')).toBe('copy me');
  });

  it('lists versions newest first and restores an old one as a new version', async () => {
    const v1 = await put('ver/doc.txt', 'first');
    const v2 = await put('ver/doc.txt', 'second');
    const versions = await api.get('/v1/versions/ver/doc.txt');
    expect(versions.body.versions.map((v: { version: string }) => v.version)).toEqual([v2.version, v1.version]);
    expect(versions.body.versions.map((v: { current: boolean }) => v.current)).toEqual([true, false]);
    expect(v2.createdAt).toBe(v1.createdAt);

    const restored = await api.post('/v1/restore', { path: 'ver/doc.txt', version: v1.version });
    expect(restored.status).toBe(201);
    expect(restored.body.version).not.toBe(v1.version);
    expect(await read('ver/doc.txt')).toBe('first');
    expect(await read(`ver/doc.txt`)).toBe('first');
    expect(new TextDecoder().decode(await downloadBytes(api, 'ver/doc.txt', `?version=${v2.version}`))).toBe('second');
    expect((await api.get('/v1/versions/ver/doc.txt')).body.versions).toHaveLength(3);
  });

  it('restores a deleted file from its retained versions', async () => {
    const v1 = await put('ver/gone.txt', 'bring me back');
    await api.delete('/v1/files/ver/gone.txt');
    expect(await exists('ver/gone.txt')).toBe(false);
    const versions = await api.get('/v1/versions/ver/gone.txt');
    expect(versions.body.versions[0]).toMatchObject({ version: v1.version, current: false });
    expect((await api.post('/v1/restore', { path: 'ver/gone.txt', version: v1.version })).status).toBe(201);
    expect(await read('ver/gone.txt')).toBe('bring me back');
  });

  it('404s for unknown versions and paths', async () => {
    expect((await api.get('/v1/versions/ver/never')).status).toBe(404);
    expect((await api.post('/v1/restore', { path: 'ver/doc.txt', version: 'nope' })).status).toBe(404);
  });
});

describe('names', () => {
  it('keeps files and folders from sharing a name', async () => {
    await put('clash/file');
    const under = await api.post('/v1/uploads', { path: 'clash/file/child', size: 1 });
    expect(under.status).toBe(409);
    expect(under.body.error.reason).toBe('name_clash');
    await put('clash/dir/child');
    const over = await api.post('/v1/uploads', { path: 'clash/dir', size: 1 });
    expect(over.status).toBe(409);
    expect(over.body.error.reason).toBe('name_clash');
  });

  it('stores another Unicode normal form as the same file', async () => {
    await put('nfc/cafe\u0301.txt', 'one');
    await put('nfc/caf\u00e9.txt', 'two');
    const listing = await api.get('/v1/files?prefix=nfc/');
    expect(listing.body.files.map((f: { path: string }) => f.path)).toEqual(['nfc/caf\u00e9.txt']);
    expect(await read('nfc/cafe\u0301.txt')).toBe('two');
  });
});
