/**
 * The Worker inside workerd, with D1 (migrations applied) and a real S3-protocol server on
 * loopback: uploads single, multipart and in batches, download, list, move, delete, tokens,
 * and the scheduled cleanup, end to end through the Worker's own fetch and scheduled handlers.
 */
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/runtime/worker.ts';
import { SigV4Presigner } from '../../src/store/sigv4-presigner.ts';

const BASE = 'https://dfs.example.com';
const MiB = 1024 * 1024;

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const response = await SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token ?? env.DFS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

function bytesOf(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 255;
  return out;
}

async function upload(path: string, bytes: Uint8Array<ArrayBuffer>, extra: Record<string, unknown> = {}) {
  const created = await api('/v1/uploads', { body: { path, size: bytes.length, ...extra } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const u = created.body;
  if (u.url) {
    const put = await fetch(u.url, { method: 'PUT', headers: u.headers, body: bytes });
    expect(put.status).toBe(200);
    await put.arrayBuffer();
  } else {
    const numbers = Array.from({ length: u.partCount }, (_, i) => i + 1);
    const more = await api(`/v1/uploads/${u.id}/parts`, { body: { partNumbers: numbers } });
    for (const part of more.body.parts) {
      const slice = bytes.slice((part.partNumber - 1) * u.partSize, part.partNumber * u.partSize);
      const put = await fetch(part.url, { method: 'PUT', headers: part.headers, body: slice });
      expect(put.status, await put.clone().text()).toBe(200);
      await put.arrayBuffer();
    }
  }
  return { id: u.id as string, complete: await api(`/v1/uploads/${u.id}/complete`, { body: {} }) };
}

async function download(path: string): Promise<Uint8Array> {
  const redirect = await api(`/v1/content/${path}`);
  expect(redirect.status).toBe(302);
  const response = await fetch(redirect.headers.get('location')!);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A POST through the Worker whose D1 counts the calls that reach it (a query, or a batch of
 * statements): D1 limits them per request (50 on the free plan, 1000 on Workers Paid). And the
 * characters of the values bound to them, which the Worker holds and hands to D1.
 */
async function countingD1Post(path: string, body: unknown): Promise<{ body: any; d1Calls: number; boundChars: number }> {
  let prepared = 0;
  let batched = 0;
  let batches = 0;
  let boundChars = 0;
  const counted = (statement: D1PreparedStatement) =>
    new Proxy(statement, {
      get(target, name) {
        if (name === 'bind') {
          return (...values: unknown[]) => {
            boundChars += values.reduce<number>((sum, v) => sum + (typeof v === 'string' ? v.length : 8), 0);
            return target.bind(...values);
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, name) {
      if (name === 'prepare') return (query: string) => (prepared++, counted(target.prepare(query)));
      if (name === 'batch') return (statements: D1PreparedStatement[]) => (batches++, (batched += statements.length), target.batch(statements));
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const request = new Request(`${BASE}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.DFS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const response = await worker.fetch(request, { ...env, DB: db } as never, createExecutionContext());
  expect(response.status).toBe(200);
  // A statement prepared and not batched was run on its own.
  return { body: await response.json(), d1Calls: batches + prepared - batched, boundChars };
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('dfs on Workers', () => {
  it('answers health and readiness (D1 and the store reachable from workerd)', async () => {
    expect((await api('/healthz')).body).toEqual({ ok: true });
    const ready = await api('/readyz');
    expect(ready.body).toEqual({ ok: true, checks: { index: 'ok', store: 'ok' } });
  });

  it('uploads a small file with one presigned PUT and downloads the same bytes', async () => {
    const bytes = bytesOf(10_000, 1);
    const { complete } = await upload('w/small.bin', bytes);
    expect(complete.status).toBe(200);
    expect(complete.body).toMatchObject({ path: 'w/small.bin', size: 10_000 });
    expect(same(await download('w/small.bin'), bytes)).toBe(true);
  });

  it('uploads a multipart file and downloads the same bytes', async () => {
    const bytes = bytesOf(11 * MiB, 2);
    const { complete } = await upload('w/big.bin', bytes, { multipart: true, partSize: 5 * MiB });
    expect(complete.status, JSON.stringify(complete.body)).toBe(200);
    expect(complete.body.size).toBe(11 * MiB);
    expect(same(await download('w/big.bin'), bytes)).toBe(true);
  });

  it('lists, moves and deletes through the D1 index', async () => {
    await upload('w/dir/a.txt', bytesOf(3, 3));
    await upload('w/dir/sub/b.txt', bytesOf(4, 4));
    const listing = await api('/v1/files?prefix=w/dir/&delimiter=/');
    expect(listing.body.files.map((f: { path: string }) => f.path)).toEqual(['w/dir/a.txt']);
    expect(listing.body.folders).toEqual(['w/dir/sub/']);

    const moved = await api('/v1/move', { body: { from: 'w/dir', to: 'w/moved' } });
    expect(moved.status).toBe(200);
    expect(moved.body.moved).toBe(2);
    expect((await api('/v1/files/w/moved/sub/b.txt')).status).toBe(200);
    expect((await api('/v1/files?prefix=w/dir/')).body.files).toEqual([]);

    const clash = await api('/v1/move', { body: { from: 'w/small.bin', to: 'w/moved/a.txt' } });
    expect(clash.status).toBe(409);

    expect((await api('/v1/files/w/moved?recursive=true', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/v1/files?prefix=w/moved/')).body.files).toEqual([]);
  });

  it('lists folders larger than a page, page by page, each entry once (D1 takes the recursive listing query)', async () => {
    const paths = ['w/tree/a.txt', 'w/tree/\u00e9/x', 'w/tree/😀/x', 'w/tree/😀0', 'w/tree/z.txt'];
    for (const folder of ['f1', 'f2', 'f3']) for (let i = 0; i < 6; i++) paths.push(`w/tree/${folder}/sub${i}/x`);
    const created = await api('/v1/batch/uploads', { body: { files: paths.map((path) => ({ path, size: 0 })) } });
    await Promise.all((created.body.uploads as { url: string; headers: Record<string, string> }[]).map(async (u) => (await fetch(u.url, { method: 'PUT', headers: u.headers })).arrayBuffer()));
    const done = await api('/v1/batch/complete', { body: { uploads: created.body.uploads.map((u: { id: string }) => ({ id: u.id })) } });
    expect(done.body.results.every((r: { file?: unknown }) => r.file)).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { files: { path: string }[]; folders: string[]; nextCursor: string | null } } = await api(`/v1/files?prefix=w/tree/&delimiter=/&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.files.map((f) => f.path), ...page.body.folders);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual(['w/tree/a.txt', 'w/tree/f1/', 'w/tree/f2/', 'w/tree/f3/', 'w/tree/z.txt', 'w/tree/\u00e9/', 'w/tree/😀/', 'w/tree/😀0'].sort());
  });

  it('races two writers on one version: exactly one commits (a guarded D1 batch)', async () => {
    const first = await upload('w/race.txt', bytesOf(5, 5));
    const version = first.complete.body.version;
    const a = await api('/v1/uploads', { body: { path: 'w/race.txt', size: 1, ifMatch: version } });
    const b = await api('/v1/uploads', { body: { path: 'w/race.txt', size: 1, ifMatch: version } });
    for (const u of [a.body, b.body]) await (await fetch(u.url, { method: 'PUT', headers: u.headers, body: new Uint8Array([7]) })).arrayBuffer();
    const results = await Promise.all([a, b].map((u) => api(`/v1/uploads/${u.body.id}/complete`, { body: {} })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
  });

  it('moves 100 files (the CLI\'s batch) through the batch routes on D1, each item on its own', async () => {
    const bodies = Array.from({ length: 100 }, (_, i) => bytesOf(100 + i * 37, i));
    const files = bodies.map((body, i) => ({ path: `w/batch/${String(i).padStart(3, '0')}.bin`, size: body.length }));
    const created = await countingD1Post('/v1/batch/uploads', { files: [...files, { path: '../escape', size: 1 }] });
    // The folders above, the files named and the inserts: one call each, however many files.
    expect(created.d1Calls).toBe(3);
    const uploads = created.body.uploads as { id: string; url: string; headers: Record<string, string>; error?: { code: string } }[];
    expect(uploads).toHaveLength(101);
    expect(uploads[100]!.error?.code).toBe('invalid_path');
    await Promise.all(
      uploads.slice(0, 100).map(async (u, i) => {
        const put = await fetch(u.url, { method: 'PUT', headers: u.headers, body: bodies[i] });
        await put.arrayBuffer();
        expect(put.status).toBe(200);
      }),
    );
    // One upload is never sent: complete reports it alone and commits the rest.
    const missing = await api('/v1/batch/uploads', { body: { files: [{ path: 'w/batch/never-sent.bin', size: 5 }] } });
    const ids = [...uploads.slice(0, 100).map((u) => u.id), missing.body.uploads[0].id];
    const done = await countingD1Post('/v1/batch/complete', { uploads: ids.map((id) => ({ id })) });
    // The uploads read at once, the commits together (each atomic alone), and the one never
    // sent read again (a complete racing this one may have committed it).
    expect(done.d1Calls).toBe(3);
    const results = done.body.results as { file?: { path: string; size: number }; error?: { code: string } }[];
    expect(results.slice(0, 100).map((r) => r.file?.path)).toEqual(files.map((f) => f.path));
    expect(results[100]!.error).toMatchObject({ code: 'upload_incomplete' });
    expect((await api('/v1/files?prefix=w/batch/&limit=1000')).body.files).toHaveLength(100);

    const links = await countingD1Post('/v1/batch/downloads', { files: files.map((f) => ({ path: f.path })) });
    expect(links.d1Calls).toBe(1);
    expect(links.body.downloads).toHaveLength(files.length);
    for (const [i, link] of (links.body.downloads as { url: string; size: number }[]).entries()) {
      expect(link.size).toBe(bodies[i]!.length);
      expect(same(new Uint8Array(await (await fetch(link.url)).arrayBuffer()), bodies[i]!)).toBe(true);
    }
  });

  it('takes a batch of paths as deep as paths go on D1, whose folders together pass the 2 MB a value may hold', async () => {
    // 16 paths of 1,000 bytes, 500 folders each: every folder above them is ~4 MB of JSON.
    const paths = Array.from({ length: 16 }, (_, i) => `w/deep${String(i).padStart(2, '0')}/${'a/'.repeat(493)}f`);
    expect(paths.every((path) => path.length <= 1024)).toBe(true);
    const created = await countingD1Post('/v1/batch/uploads', { files: paths.map((path) => ({ path, size: 0 })) });
    const uploads = created.body.uploads as { id: string; url: string; headers: Record<string, string> }[];
    expect(uploads.every((u) => u.id)).toBe(true);
    // More than the usual three calls: the ~4 million characters of folders go half a million
    // at a time (9 calls), then which paths are folders and the insert.
    expect(created.d1Calls).toBeGreaterThan(3);
    expect(created.d1Calls).toBeLessThanOrEqual(11);
    for (const u of uploads) await (await fetch(u.url, { method: 'PUT', headers: u.headers })).arrayBuffer();
    const done = await countingD1Post('/v1/batch/complete', { uploads: uploads.map((u) => ({ id: u.id })) });
    expect(done.body.results.map((r: { file?: { path: string } }) => r.file?.path)).toEqual(paths);
    // Each commit binds its path a few times, not the list of its 500 folders (~250,000
    // characters a file): a batch of 1,000 such paths came to hundreds of MB.
    expect(done.boundChars).toBeLessThan(16 * 20_000);
    // Sent again whole: every entry again, read for all files at once.
    const again = await countingD1Post('/v1/batch/complete', { uploads: uploads.map((u) => ({ id: u.id })) });
    expect(again.body.results).toEqual(done.body.results);
    expect(again.d1Calls).toBe(3);
  });

  it('commits the rest of a batch on D1 when one commit is refused, found in halves, not by trying each alone', async () => {
    const paths = ['w/refused/a.txt', 'w/refused/taken.txt', ...Array.from({ length: 38 }, (_, i) => `w/refused/b${String(i).padStart(2, '0')}.txt`)];
    // Commits of different lengths (a condition is a statement more), so that each gets its own results back.
    const created = await api('/v1/batch/uploads', { body: { files: paths.map((path, i) => ({ path, size: 1, ...(i % 3 === 0 ? {} : { ifNoneMatch: '*' }) })) } });
    const uploads = created.body.uploads as { id: string; url: string; headers: Record<string, string> }[];
    for (const u of uploads) await (await fetch(u.url, { method: 'PUT', headers: u.headers, body: new Uint8Array([1]) })).arrayBuffer();
    // Someone else takes one of the names before the batch commits.
    expect((await upload('w/refused/taken.txt', bytesOf(2, 9))).complete.status).toBe(200);
    const done = await countingD1Post('/v1/batch/complete', { uploads: uploads.map((u) => ({ id: u.id })) });
    const outcomes = (results: { file?: { path: string }; error?: { code: string } }[]) => results.map((r) => r.error?.code ?? r.file!.path);
    expect(outcomes(done.body.results)).toEqual(['w/refused/a.txt', 'precondition_failed', ...paths.slice(2)]);
    expect(done.d1Calls).toBeLessThan(20);
    expect((await api('/v1/files/w/refused/taken.txt')).body.size).toBe(2);
    expect((await api('/v1/files?prefix=w/refused/')).body.files.map((f: { path: string }) => f.path)).toEqual([...paths.filter((p) => p !== 'w/refused/taken.txt'), 'w/refused/taken.txt'].sort());
    expect((await api(`/v1/uploads/${uploads[1]!.id}`)).body.state).toBe('aborted');

    // Every other name taken: the refusals are many; each commit still gets its own outcome, for
    // about a call a file and one to abort each upload refused.
    const dense = Array.from({ length: 24 }, (_, i) => `w/refused/dense${String(i).padStart(2, '0')}.txt`);
    const many = await api('/v1/batch/uploads', { body: { files: dense.map((path) => ({ path, size: 1, ifNoneMatch: '*' })) } });
    const denseUploads = many.body.uploads as { id: string; url: string; headers: Record<string, string> }[];
    for (const u of denseUploads) await (await fetch(u.url, { method: 'PUT', headers: u.headers, body: new Uint8Array([1]) })).arrayBuffer();
    for (const path of dense.filter((_, i) => i % 2 === 0)) expect((await upload(path, bytesOf(2, 9))).complete.status).toBe(200);
    const crowded = await countingD1Post('/v1/batch/complete', { uploads: denseUploads.map((u) => ({ id: u.id })) });
    expect(outcomes(crowded.body.results)).toEqual(dense.map((path, i) => (i % 2 === 0 ? 'precondition_failed' : path)));
    expect(crowded.d1Calls).toBeLessThanOrEqual(dense.length + dense.length / 2 + 8);
  });

  it('issues, uses and revokes tokens limited to a prefix', async () => {
    const created = await api('/v1/tokens', { body: { name: 'team', scopes: ['read'], prefix: 'w/' } });
    expect(created.status).toBe(201);
    const token = created.body.token;
    expect((await api('/v1/files/w/small.bin', { token })).status).toBe(200);
    expect((await api('/v1/files?prefix=other/', { token })).status).toBe(403);
    expect((await api('/v1/uploads', { body: { path: 'w/x', size: 1 }, token })).status).toBe(403);
    expect((await api(`/v1/tokens/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api('/v1/files/w/small.bin', { token })).status).toBe(401);
  });

  it('revokes, with a token, the tokens it made down the line and their share links (a recursive D1 query)', async () => {
    const lead = await api('/v1/tokens', { body: { name: 'lead', scopes: ['admin'], prefix: 'w/' } });
    const member = await api('/v1/tokens', { body: { name: 'member', scopes: ['admin'], prefix: 'w/' }, token: lead.body.token });
    const guest = await api('/v1/tokens', { body: { name: 'guest', scopes: ['read', 'write'], prefix: 'w/' }, token: member.body.token });
    expect([lead.status, member.status, guest.status]).toEqual([201, 201, 201]);
    expect(guest.body.createdBy).toBe(member.body.id);
    const link = await api('/v1/shares', { body: { path: 'w/small.bin' }, token: guest.body.token });
    expect(link.status).toBe(201);
    expect((await SELF.fetch(link.body.url, { redirect: 'manual' })).status).toBe(302);

    expect((await api(`/v1/tokens/${lead.body.id}`, { method: 'DELETE' })).status).toBe(204);
    for (const { body } of [lead, member, guest]) expect((await api('/v1/whoami', { token: body.token })).status).toBe(401);
    expect((await SELF.fetch(link.body.url, { redirect: 'manual' })).status).toBe(404);
  });

  it('runs cleanup from the cron trigger: an abandoned upload is aborted and its bytes deleted', async () => {
    const created = await api('/v1/uploads', { body: { path: 'w/abandoned.bin', size: 4 } });
    await (await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytesOf(4, 6) })).arrayBuffer();
    const key = (await env.DB.prepare('SELECT object_key FROM uploads WHERE id = ?').bind(created.body.id).first<{ object_key: string }>())!.object_key;
    const objectUrl = `${env.S3_ENDPOINT}/dfs-workers/${key}`;
    // The store answers requests signed with its key only.
    const signer = new SigV4Presigner({ accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }, 'us-east-1', { queryEncoding: 'uri-component' });
    const stored = async () => {
      const response = await fetch(await signer.presign({ method: 'GET', url: objectUrl, headers: {}, query: {}, expiresInSeconds: 60, date: new Date() }));
      await response.arrayBuffer();
      return response.status;
    };
    expect(await stored()).toBe(200);

    // DFS_UPLOAD_EXPIRES is 8 s and the grace 0 in this project's bindings (long enough for the
    // other tests' part URLs, which never outlive their upload).
    await new Promise((resolve) => setTimeout(resolve, 8500));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), env as never, ctx);
    await waitOnExecutionContext(ctx);

    const state = await env.DB.prepare('SELECT state FROM uploads WHERE id = ?').bind(created.body.id).first<{ state: string }>();
    expect(state?.state ?? 'purged').not.toBe('pending');
    // (The race above left its loser's bytes queued until that upload's URLs expire.)
    expect(await env.DB.prepare('SELECT count(*) AS n FROM garbage WHERE object_key = ?').bind(key).first<{ n: number }>()).toEqual({ n: 0 });
    expect(await stored()).toBe(404);
    expect((await api(`/v1/uploads/${created.body.id}/complete`, { body: {} })).status).toBe(404);
  });

  it('takes settings wrangler.toml writes as TOML numbers and booleans, as Node takes the same strings', async () => {
    await upload('w/typed.bin', bytesOf(10, 7));
    // DFS_URL_EXPIRES = 120 and S3_FORCE_PATH_STYLE = false, unquoted in [vars] (with an
    // endpoint set, path style is the default: false must be read to be seen; a bucket in the
    // host name needs a host name, not an address).
    const typed = { ...env, DFS_URL_EXPIRES: 120, S3_FORCE_PATH_STYLE: false, S3_ENDPOINT: String(env.S3_ENDPOINT).replace('127.0.0.1', 'localhost') };
    const response = await worker.fetch(
      new Request(`${BASE}/v1/downloads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.DFS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ path: 'w/typed.bin' }),
      }),
      typed as never,
      createExecutionContext(),
    );
    expect(response.status).toBe(200);
    const link = new URL(((await response.json()) as { url: string }).url);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(link.hostname.startsWith('dfs-workers.')).toBe(true);
  });

  it('answers a bad configuration with a request id, as every answer has one', async () => {
    const response = await worker.fetch(new Request(`${BASE}/healthz`), { ...env, DFS_URL_EXPIRES: 'soon' } as never, createExecutionContext());
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes share links on the origin of the request, whatever ran first (the cron included)', async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), env as never, ctx);
    await waitOnExecutionContext(ctx);
    for (const origin of ['https://dfs-two.example.com', BASE]) {
      const response = await SELF.fetch(`${origin}/v1/shares`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.DFS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ path: 'w/small.bin' }),
      });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { url: string }).url).toMatch(new RegExp(`^${origin.replace(/\./g, '\\.')}/s/`));
    }
    // Listed from D1 in pages, each link on the origin of the listing request.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await SELF.fetch(`https://dfs-three.example.com/v1/shares?prefix=w/&limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${env.DFS_ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { shares: { url: string; path: string }[]; nextCursor: string | null };
      for (const share of page.shares) expect(share.url).toMatch(/^https:\/\/dfs-three\.example\.com\/s\//);
      seen.push(...page.shares.map((share) => share.path));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['w/small.bin', 'w/small.bin']);
  });

  it('answers a run of download requests, each with a presigned URL, and records the cost (never asserted)', async () => {
    const count = 200;
    const started = performance.now();
    const answers = [];
    for (let i = 0; i < count; i++) answers.push(await api('/v1/downloads', { body: { path: 'w/small.bin' } }));
    const perRequest = (performance.now() - started) / count;
    expect(answers.filter((a) => a.status === 200 && /X-Amz-Signature=[0-9a-f]{64}/.test(a.body.url))).toHaveLength(count);

    const presigner = new SigV4Presigner({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, 'us-east-1');
    const presigns = 2000;
    const signStarted = performance.now();
    const urls = new Set<string>();
    for (let i = 0; i < presigns; i++) {
      urls.add(await presigner.presign({ method: 'GET', url: `https://s3.example.com/b/o/${i}`, headers: {}, query: {}, expiresInSeconds: 60, date: new Date() }));
    }
    const perPresign = ((performance.now() - signStarted) * 1000) / presigns;
    expect(urls.size).toBe(presigns);
    expect([...urls].filter((url) => /X-Amz-Signature=[0-9a-f]{64}/.test(url))).toHaveLength(presigns);
    console.log(
      `in workerd: POST /v1/downloads ${perRequest.toFixed(2)} ms per request (${count} requests: token and file lookups in D1 + one presign); ` +
        `WebCrypto presign alone ${perPresign.toFixed(0)} us (${presigns} URLs)`,
    );
  });
});
