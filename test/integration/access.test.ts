import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, encodePath, uploadBytes, type ApiResponse } from '../support/api.ts';
import { runCleanup } from '../../src/core/cleanup.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let admin: Api;
const text = (s: string) => new TextEncoder().encode(s);

async function token(body: Record<string, unknown>): Promise<Api> {
  const created = await admin.post('/v1/tokens', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return admin.as(created.body.token);
}

beforeAll(async () => {
  server = await startTestServer();
  admin = new Api(server.url, server.adminToken);
  for (const path of ['a/x.txt', 'a/deep/y.txt', 'b/x', 'ab.txt']) {
    expect((await uploadBytes(admin, path, text(path))).status).toBe(200);
  }
});
afterAll(() => server?.close());

describe('authentication', () => {
  it('401s without a valid token on every /v1 route', async () => {
    for (const token of [null, 'nonsense', `${server.adminToken}x`]) {
      const response = await admin.as(token).get('/v1/files');
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
    const malformed = await admin.get('/v1/files', { token: null, headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect((await admin.as(null).post('/v1/uploads', { path: 'p', size: 1 })).status).toBe(401);
  });

  it('leaves health, readiness, the document and share links public', async () => {
    expect((await admin.as(null).get('/healthz')).status).toBe(200);
    expect((await admin.as(null).get('/readyz')).status).toBe(200);
    expect((await admin.as(null).get('/openapi.json')).status).toBe(200);
  });

  it('answers a share link that names no link 404, however long or odd the id', async () => {
    for (const id of ['nope', 'x'.repeat(300), '%00', 'a%2Fb']) {
      const res = await admin.as(null).get(`/s/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
});

describe('tokens', () => {
  it('creates a token shown once, stored as a hash, and revokes it', async () => {
    const created = await admin.post('/v1/tokens', { name: 'ci', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^dfs_[A-Za-z0-9_-]{43}$/);
    const stored = await server.ctx.index.getTokenByHash(
      Buffer.from(await crypto.subtle.digest('SHA-256', text(created.body.token))).toString('hex'),
    );
    expect(stored?.id).toBe(created.body.id);

    const list = await admin.get('/v1/tokens');
    const listed = list.body.tokens.find((t: { id: string }) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: 'ci', scopes: ['read'], prefix: null });
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    const reader = admin.as(created.body.token);
    expect((await reader.get('/v1/whoami')).body).toMatchObject({ id: created.body.id, scopes: ['read'] });
    expect((await admin.delete(`/v1/tokens/${created.body.id}`)).status).toBe(204);
    expect((await reader.get('/v1/files')).status).toBe(401);
    expect((await admin.delete(`/v1/tokens/${created.body.id}`)).status).toBe(404);
  });

  it('expires tokens', async () => {
    const created = await admin.post('/v1/tokens', { name: 'short', scopes: ['read'], expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await admin.as(created.body.token).get('/v1/files');
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/expired/);
  });

  it('keeps token management for admins, within their own prefix', async () => {
    const writer = await token({ name: 'w', scopes: ['read', 'write'] });
    expect((await writer.get('/v1/tokens')).status).toBe(403);
    expect((await writer.post('/v1/tokens', { name: 'x', scopes: ['read'] })).status).toBe(403);
    const teamAdmin = await token({ name: 'team admin', scopes: ['admin'], prefix: 'a' });
    expect((await teamAdmin.post('/v1/tokens', { name: 'x', scopes: ['read'] })).status).toBe(403);
    expect((await teamAdmin.post('/v1/tokens', { name: 'x', scopes: ['read'], prefix: 'b/' })).status).toBe(403);
    const sub = await teamAdmin.post('/v1/tokens', { name: 'x', scopes: ['read'], prefix: 'a/deep' });
    expect(sub.status).toBe(201);
    expect(sub.body.prefix).toBe('a/deep/');
  });
});

describe('scopes', () => {
  it('gives each scope only its routes', async () => {
    const reader = await token({ name: 'r', scopes: ['read'] });
    expect((await reader.get('/v1/files/a/x.txt')).status).toBe(200);
    expect((await reader.post('/v1/uploads', { path: 'a/new', size: 1 })).status).toBe(403);
    expect((await reader.delete('/v1/files/a/x.txt')).status).toBe(403);
    expect((await reader.post('/v1/move', { from: 'a/x.txt', to: 'a/z.txt' })).status).toBe(403);
    expect((await reader.post('/v1/shares', { path: 'a/x.txt' })).status).toBe(403);

    const deleter = await token({ name: 'd', scopes: ['delete'] });
    expect((await deleter.get('/v1/files')).status).toBe(403);
    expect((await deleter.post('/v1/copy', { from: 'a/x.txt', to: 'a/c.txt' })).status).toBe(403);
  });

  it('lets a write-only token (a drop box) upload and resume, but read nothing, not even through a share', async () => {
    const dropBox = await token({ name: 'drop', scopes: ['write'] });
    expect((await dropBox.get('/v1/files/a/x.txt')).status).toBe(403);
    const refused = await dropBox.post('/v1/shares', { path: 'a/x.txt' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const created = await dropBox.post('/v1/uploads', { path: 'dropbox/dropped.txt', size: 7 });
    expect(created.status).toBe(201);
    const state = await dropBox.get(`/v1/uploads/${created.body.id}`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ state: 'pending', parts: [] });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: text('dropped') });
    expect((await dropBox.get(`/v1/uploads/${created.body.id}`)).body.parts).toHaveLength(1);
    expect((await dropBox.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
  });

  it("lets a write-only token move a file without telling it the file's size or digest", async () => {
    const dropBox = await token({ name: 'drop-mover', scopes: ['write'] });
    await uploadBytes(admin, 'dropbox/secret.txt', text('not for the drop box'));
    const moved = await dropBox.post('/v1/move', { from: 'dropbox/secret.txt', to: 'dropbox/renamed.txt' });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ moved: 1 });
    expect((await admin.get('/v1/files/dropbox/renamed.txt')).body.size).toBe(20);
  });
});

describe('a token limited to a/', () => {
  let limited: Api;
  beforeAll(async () => {
    limited = await token({ name: 'team a', scopes: ['read', 'write', 'delete'], prefix: 'a/' });
  });

  it('cannot read, list, write, share, move, copy or delete b/x', async () => {
    const checks = [
      await limited.get('/v1/files/b/x'),
      await limited.get('/v1/content/b/x'),
      await limited.post('/v1/downloads', { path: 'b/x' }),
      await limited.get('/v1/versions/b/x'),
      await limited.get('/v1/files?prefix=b/'),
      await limited.post('/v1/uploads', { path: 'b/x', size: 1 }),
      await limited.post('/v1/shares', { path: 'b/x' }),
      await limited.post('/v1/move', { from: 'a/x.txt', to: 'b/moved' }),
      await limited.post('/v1/move', { from: 'b/x', to: 'a/stolen' }),
      await limited.post('/v1/copy', { from: 'b/x', to: 'a/stolen' }),
      await limited.post('/v1/restore', { path: 'b/x', version: 'v' }),
      await limited.delete('/v1/files/b/x'),
      await limited.delete('/v1/files/b?recursive=true'),
      await limited.get('/v1/files/ab.txt'),
    ];
    expect(checks.map((r) => r.status)).toEqual(checks.map(() => 403));
    expect((await admin.get('/v1/files/b/x')).status).toBe(200);
  });

  it('sees only its folder when listing the root', async () => {
    const root = await limited.get('/v1/files?delimiter=/');
    expect(root.status).toBe(200);
    expect(root.body.folders).toEqual(['a/']);
    expect(root.body.files).toEqual([]);
    const all = await limited.get('/v1/files');
    expect(all.body.files.map((f: { path: string }) => f.path)).toEqual(['a/deep/y.txt', 'a/x.txt']);
  });

  it('works normally inside a/', async () => {
    expect((await uploadBytes(limited, 'a/mine.txt', text('mine'))).status).toBe(200);
    expect((await limited.post('/v1/move', { from: 'a/mine.txt', to: 'a/deep/mine.txt' })).status).toBe(200);
    expect((await limited.delete(`/v1/files/${encodePath('a/deep/mine.txt')}`)).status).toBe(204);
  });

  it('cannot complete or inspect an upload on a path outside it', async () => {
    const created = await admin.post('/v1/uploads', { path: 'b/admin-upload', size: 1 });
    expect((await limited.get(`/v1/uploads/${created.body.id}`)).status).toBe(403);
    expect((await limited.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(403);
    expect((await limited.delete(`/v1/uploads/${created.body.id}`)).status).toBe(403);
  });
});

describe('a token limited to a/ and a root file named "a"', () => {
  // A folder "a/" and a file "a" cannot coexist, so this needs a server of its own.
  let own: TestServer;
  let ownAdmin: Api;
  let limited: Api;
  let version: string;
  beforeAll(async () => {
    own = await startTestServer();
    ownAdmin = new Api(own.url, own.adminToken);
    const uploaded = await uploadBytes(ownAdmin, 'a', text('the admin file'));
    expect(uploaded.status).toBe(200);
    version = uploaded.body.version;
    const created = await ownAdmin.post('/v1/tokens', { name: 'team a', scopes: ['read', 'write', 'delete'], prefix: 'a/' });
    limited = ownAdmin.as(created.body.token);
  });
  afterAll(() => own?.close());

  it('gets 403 on every route that names the file "a"', async () => {
    const checks = {
      stat: await limited.get('/v1/files/a'),
      content: await limited.get('/v1/content/a'),
      downloads: await limited.post('/v1/downloads', { path: 'a' }),
      versions: await limited.get('/v1/versions/a'),
      shares: await limited.post('/v1/shares', { path: 'a' }),
      delete: await limited.delete('/v1/files/a'),
      deleteIfMatch: await limited.delete('/v1/files/a', { headers: { 'If-Match': version } }),
      upload: await limited.post('/v1/uploads', { path: 'a', size: 1 }),
      copy: await limited.post('/v1/copy', { from: 'a', to: 'a/copy' }),
      restore: await limited.post('/v1/restore', { path: 'a', version }),
    };
    expect(Object.fromEntries(Object.entries(checks).map(([name, r]) => [name, r.status]))).toEqual(
      Object.fromEntries(Object.keys(checks).map((name) => [name, 403])),
    );
    const batch = await limited.post('/v1/batch/downloads', { files: [{ path: 'a' }] });
    expect(batch.body.downloads[0].error.code).toBe('forbidden');
  });

  it('neither lists, moves nor deletes the file "a" through its folder', async () => {
    expect((await limited.get('/v1/files')).body).toMatchObject({ files: [], folders: [] });
    expect((await limited.get('/v1/files?prefix=a')).body.files).toEqual([]);
    expect((await limited.get('/v1/files?delimiter=/')).body).toMatchObject({ files: [], folders: [] });
    expect((await limited.post('/v1/move', { from: 'a', to: 'a/moved' })).status).toBe(404);
    expect((await limited.delete('/v1/files/a?recursive=true')).status).toBe(404);
    expect((await ownAdmin.get('/v1/files/a')).body.version).toBe(version);
  });

  it('works under a/ once the file is gone, its folder included', async () => {
    expect((await ownAdmin.delete('/v1/files/a')).status).toBe(204);
    expect((await uploadBytes(limited, 'a/x.txt', text('x'))).status).toBe(200);
    expect((await limited.get('/v1/files/a/x.txt')).status).toBe(200);
    expect((await limited.get('/v1/files?prefix=a')).body.files.map((f: { path: string }) => f.path)).toEqual(['a/x.txt']);
    expect((await limited.post('/v1/move', { from: 'a/x.txt', to: 'a/y/x.txt' })).status).toBe(200);
    expect((await limited.post('/v1/move', { from: 'a/y', to: 'a/z' })).status).toBe(200);
    expect((await limited.delete('/v1/files/a?recursive=true')).status).toBe(204);
    expect((await ownAdmin.get('/v1/files')).body.files).toEqual([]);
  });
});

describe('share links', () => {
  it('lists the links still valid under a prefix, page by page in path order, to tokens that may make them', async () => {
    for (const path of ['sl/one.txt', 'sl/two.txt', 'sl/sub/three.txt', 'slx.txt']) await uploadBytes(admin, path, text(path));
    const made = [];
    for (const path of ['sl/two.txt', 'sl/one.txt', 'sl/sub/three.txt', 'sl/one.txt', 'slx.txt']) {
      const share = await admin.post('/v1/shares', { path, disposition: 'inline' });
      expect(share.status).toBe(201);
      made.push({ ...share.body, path });
    }
    // One that expired: listed nowhere, and gone from the index after cleanup.
    await server.ctx.index.createShare({ id: 'expiredlink0000000000000000', path: 'sl/one.txt', disposition: 'attachment', createdBy: null, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z' });

    const listed = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await admin.get(`/v1/shares?prefix=sl/&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.shares.length).toBeLessThanOrEqual(2);
      listed.push(...page.body.shares);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    const expected = made.filter((s) => s.path.startsWith('sl/')).sort((a, b) => (a.path === b.path ? (a.id < b.id ? -1 : 1) : a.path < b.path ? -1 : 1));
    expect(listed.map((s) => [s.path, s.id])).toEqual(expected.map((s) => [s.path, s.id]));
    for (const entry of listed) {
      const mine = made.find((s) => s.id === entry.id)!;
      expect(entry).toEqual({ id: mine.id, url: mine.url, path: mine.path, disposition: 'inline', expiresAt: mine.expiresAt, createdAt: expect.any(String), createdBy: null, fileExists: true });
    }

    const sub = await token({ name: 'shares-sub', scopes: ['read', 'write'], prefix: 'sl/sub/' });
    expect((await sub.get('/v1/shares')).body.shares.map((s: { path: string }) => s.path)).toEqual(['sl/sub/three.txt']);
    // A cursor made up to start before the token's folder still shows only what is inside it.
    const forged = Buffer.from(JSON.stringify(['', ''])).toString('base64url');
    expect((await sub.get(`/v1/shares?cursor=${forged}`)).body.shares.map((s: { path: string }) => s.path)).toEqual(['sl/sub/three.txt']);
    expect((await sub.get('/v1/shares?prefix=slx')).status).toBe(403);
    expect((await admin.get('/v1/shares?cursor=nonsense!')).body.error.code).toBe('invalid_request');
    expect((await admin.get(`/v1/shares?cursor=${Buffer.from('{"a":1}').toString('base64url')}`)).status).toBe(400);
    const reader = await token({ name: 'shares-reader', scopes: ['read'] });
    const dropBox = await token({ name: 'shares-dropbox', scopes: ['write'] });
    expect((await reader.get('/v1/shares')).status).toBe(403);
    expect((await dropBox.get('/v1/shares')).status).toBe(403);

    expect((await admin.delete(`/v1/shares/${made[1]!.id}`)).status).toBe(204);
    const after = (await admin.get('/v1/shares?prefix=sl/one.txt')).body.shares.map((s: { id: string }) => s.id);
    expect(after).toEqual([made[3]!.id]);

    expect((await runCleanup(server.ctx)).expiredShares).toBeGreaterThanOrEqual(1);
    expect(await server.ctx.index.getShare('expiredlink0000000000000000')).toBeNull();
    expect(await server.ctx.index.getShare(made[3]!.id)).not.toBeNull();
  });

  it('serves the current file publicly until the link expires', async () => {
    const share = await admin.post('/v1/shares', { path: 'a/x.txt', expiresIn: 2 });
    expect(share.status).toBe(201);
    expect(share.body.url).toBe(`${server.url}/s/${share.body.id}`);
    const opened = await fetch(share.body.url, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    const bytes = await fetch(opened.headers.get('location')!);
    expect(await bytes.text()).toBe('a/x.txt');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await fetch(share.body.url, { redirect: 'manual' })).status).toBe(404);
  });

  it('404s for unknown links, deleted files and missing paths', async () => {
    expect((await fetch(`${server.url}/s/doesnotexist`, { redirect: 'manual' })).status).toBe(404);
    expect((await admin.post('/v1/shares', { path: 'a/none' })).status).toBe(404);
    await uploadBytes(admin, 'a/temp.txt', text('t'));
    const share = await admin.post('/v1/shares', { path: 'a/temp.txt' });
    const listed = async () => (await admin.get('/v1/shares?prefix=a/temp.txt')).body.shares.map((s: { id: string; fileExists: boolean }) => [s.id, s.fileExists]);
    expect(await listed()).toEqual([[share.body.id, true]]);
    await admin.delete('/v1/files/a/temp.txt');
    // Listed still (a link follows its path: a file put there again opens again), saying it opens nothing now.
    expect(await listed()).toEqual([[share.body.id, false]]);
    const gone = await fetch(share.body.url, { redirect: 'manual' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: { code: 'not_found', message: 'the shared file no longer exists' } });
    // A browser gets a page saying why, which no other site may frame.
    const page = await fetch(share.body.url, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<h1>This link does not work any more</h1>');
    expect(html).toContain('<p>The shared file no longer exists.</p>');
    expect((await admin.post('/v1/shares', { path: 'a/x.txt', expiresIn: 400 * 86400 })).status).toBe(400);
  });

  it('ends a link on revoke, for a token that may read and write its path; others see no such share', async () => {
    const share = await admin.post('/v1/shares', { path: 'a/x.txt' });
    const elsewhere = await token({ name: 'elsewhere', scopes: ['read', 'write'], prefix: 'b/' });
    const reader = await token({ name: 'reader-a', scopes: ['read'], prefix: 'a/' });
    expect((await elsewhere.delete(`/v1/shares/${share.body.id}`)).status).toBe(404);
    expect((await reader.delete(`/v1/shares/${share.body.id}`)).status).toBe(403);
    expect((await fetch(share.body.url, { redirect: 'manual' })).status).toBe(302);

    const owner = await token({ name: 'owner-a', scopes: ['read', 'write'], prefix: 'a/' });
    expect((await owner.delete(`/v1/shares/${share.body.id}`)).status).toBe(204);
    expect((await fetch(share.body.url, { redirect: 'manual' })).status).toBe(404);
    expect((await owner.delete(`/v1/shares/${share.body.id}`)).status).toBe(404);
  });
});

describe('token lineage', () => {
  /** Runs `body` with the server's clock just past `at`, as if the time had come. */
  async function after(at: string, body: () => Promise<void>): Promise<void> {
    const clock = server.ctx.clock;
    server.ctx.clock = () => new Date(Date.parse(at) + 100);
    try {
      await body();
    } finally {
      server.ctx.clock = clock;
    }
  }
  const opens = async (url: string) => (await fetch(url, { redirect: 'manual' })).status;
  const listedIds = async () => (await admin.get('/v1/tokens')).body.tokens.map((t: { id: string }) => t.id) as string[];

  it('clamps the expiry of a token made by a token to that of its creator, then stops them together', async () => {
    const parent = await admin.post('/v1/tokens', { name: 'lin-parent', scopes: ['admin'], prefix: 'lin1', expiresIn: 2 });
    expect(parent.status).toBe(201);
    const parentApi = admin.as(parent.body.token);
    const limit = Date.parse(parent.body.expiresAt);

    // No expiry asked, or one past the creator's: the creator's, and the answer says so.
    const forever = await parentApi.post('/v1/tokens', { name: 'lin-forever', scopes: ['admin', 'read', 'write', 'delete'], prefix: 'lin1' });
    const decade = await parentApi.post('/v1/tokens', { name: 'lin-decade', scopes: ['read'], prefix: 'lin1', expiresIn: 10 * 365 * 86400 });
    for (const child of [forever, decade]) {
      expect(child.status).toBe(201);
      expect(child.body.expiresAt).toBe(parent.body.expiresAt);
      expect((await admin.as(child.body.token).get('/v1/whoami')).body.expiresAt).toBe(parent.body.expiresAt);
    }
    const listed = (await admin.get('/v1/tokens')).body.tokens.find((t: { id: string }) => t.id === forever.body.id);
    expect(listed.expiresAt).toBe(parent.body.expiresAt);
    expect(listed.createdBy).toBe(parent.body.id);
    expect(parent.body.createdBy).toBeNull();
    // One that ends sooner keeps its own; a grandchild is clamped to the chain.
    const sooner = await parentApi.post('/v1/tokens', { name: 'lin-sooner', scopes: ['read'], prefix: 'lin1', expiresIn: 1 });
    expect(Date.parse(sooner.body.expiresAt)).toBeLessThan(limit);
    const grandchild = await admin.as(forever.body.token).post('/v1/tokens', { name: 'lin-grandchild', scopes: ['admin'], prefix: 'lin1' });
    expect(grandchild.body.expiresAt).toBe(parent.body.expiresAt);

    await after(parent.body.expiresAt, async () => {
      for (const secret of [parent.body.token, forever.body.token, decade.body.token, grandchild.body.token]) {
        const refused = await admin.as(secret).get('/v1/whoami');
        expect(refused.status).toBe(401);
        expect(refused.body.error.message).toMatch(/expired/);
      }
    });
  });

  it('clamps a share link made by a token to the expiry of the token', async () => {
    await uploadBytes(admin, 'lin2/plan.txt', text('the plan'));
    const brief = await token({ name: 'lin-brief', scopes: ['read', 'write'], prefix: 'lin2', expiresIn: 2 });
    const own = (await brief.get('/v1/whoami')).body.expiresAt as string;
    const share = await brief.post('/v1/shares', { path: 'lin2/plan.txt', expiresIn: 365 * 86400 });
    expect(share.status).toBe(201);
    expect(share.body.expiresAt).toBe(own);
    expect((await admin.get('/v1/shares?prefix=lin2/')).body.shares.find((s: { id: string }) => s.id === share.body.id).expiresAt).toBe(own);
    // The admin token from the environment never expires: its links get what they ask for.
    const adminShare = await admin.post('/v1/shares', { path: 'lin2/plan.txt', expiresIn: 86400 });
    expect(Date.parse(adminShare.body.expiresAt)).toBeGreaterThan(Date.now() + 86000_000);
    expect(await opens(share.body.url)).toBe(302);

    await after(own, async () => {
      expect(await opens(share.body.url)).toBe(404);
      expect(await opens(adminShare.body.url)).toBe(302);
    });
  });

  it('revokes with a token the tokens it made, down the line, and the links any of them made', async () => {
    await uploadBytes(admin, 'lin3/doc.txt', text('doc'));
    const parent = await admin.post('/v1/tokens', { name: 'lin3-parent', scopes: ['admin'], prefix: 'lin3' });
    const parentApi = admin.as(parent.body.token);
    const child = await parentApi.post('/v1/tokens', { name: 'lin3-child', scopes: ['admin'], prefix: 'lin3' });
    const childApi = admin.as(child.body.token);
    const grandchild = await childApi.post('/v1/tokens', { name: 'lin3-grandchild', scopes: ['read', 'write'], prefix: 'lin3' });
    const grandchildApi = admin.as(grandchild.body.token);
    const sibling = await parentApi.post('/v1/tokens', { name: 'lin3-sibling', scopes: ['read', 'write'], prefix: 'lin3' });
    const siblingApi = admin.as(sibling.body.token);
    const unrelated = await token({ name: 'lin3-unrelated', scopes: ['read', 'write'], prefix: 'lin3' });

    const link = async (by: Api) => {
      const share = await by.post('/v1/shares', { path: 'lin3/doc.txt' });
      expect(share.status, JSON.stringify(share.body)).toBe(201);
      return share.body.url as string;
    };
    const links = {
      parent: await link(parentApi),
      child: await link(childApi),
      grandchild: await link(grandchildApi),
      sibling: await link(siblingApi),
      unrelated: await link(unrelated),
      admin: await link(admin),
    };

    // An admin within the same folder cannot end the token above it, which would end it and all it made.
    const upward = await childApi.delete(`/v1/tokens/${parent.body.id}`);
    expect(upward.status).toBe(403);
    expect(upward.body.error.message).toBe('a token cannot revoke the token that created it, nor any above that one');
    expect((await parentApi.get('/v1/whoami')).status).toBe(200);

    // The parent (an admin within lin3/) revokes its child: the child's whole line goes.
    expect((await parentApi.delete(`/v1/tokens/${child.body.id}`)).status).toBe(204);
    for (const gone of [childApi, grandchildApi]) expect((await gone.get('/v1/whoami')).status).toBe(401);
    for (const kept of [parentApi, siblingApi, unrelated]) expect((await kept.get('/v1/whoami')).status).toBe(200);
    expect(await listedIds()).not.toContain(grandchild.body.id);
    expect(Object.fromEntries(await Promise.all(Object.entries(links).map(async ([by, url]) => [by, await opens(url)])))).toEqual({
      parent: 302,
      child: 404,
      grandchild: 404,
      sibling: 302,
      unrelated: 302,
      admin: 302,
    });
    expect((await parentApi.delete(`/v1/tokens/${grandchild.body.id}`)).status).toBe(404);

    // The environment's admin revokes the parent: the sibling and the parent's links go too.
    expect((await admin.delete(`/v1/tokens/${parent.body.id}`)).status).toBe(204);
    expect((await siblingApi.get('/v1/whoami')).status).toBe(401);
    expect(await listedIds()).not.toContain(sibling.body.id);
    expect(await opens(links.parent)).toBe(404);
    expect(await opens(links.sibling)).toBe(404);
    expect(await opens(links.unrelated)).toBe(302);
    expect(await opens(links.admin)).toBe(302);
    expect((await unrelated.get('/v1/whoami')).status).toBe(200);
  });

  it('records nothing for a token revoked while its request was under way', async () => {
    const revoked = await admin.post('/v1/tokens', { name: 'lin4-revoked', scopes: ['admin'] });
    expect((await admin.delete(`/v1/tokens/${revoked.body.id}`)).status).toBe(204);
    const now = new Date().toISOString();
    const orphanToken = { id: 'lin4orphan', name: 'orphan', hash: 'f'.repeat(64), scopes: ['read' as const], prefix: null, createdAt: now, expiresAt: null, createdBy: revoked.body.id };
    await expect(server.ctx.index.createToken(orphanToken)).rejects.toMatchObject({ code: 'unauthorized' });
    const orphanShare = { id: 'lin4orphanshare000000000000', path: 'a/x.txt', disposition: 'attachment' as const, createdBy: revoked.body.id, createdAt: now, expiresAt: '2999-01-01T00:00:00.000Z' };
    await expect(server.ctx.index.createShare(orphanShare)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await listedIds()).not.toContain('lin4orphan');
    expect(await server.ctx.index.getShare('lin4orphanshare000000000000')).toBeNull();
  });
});
