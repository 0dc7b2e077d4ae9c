/**
 * Version histories over HTTP with DFS_KEEP_VERSIONS=3: what a folder move carries along, and
 * the order (and so what retention keeps) when versions are superseded in the same millisecond.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, encodePath, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const KEEP = 3;
let server: TestServer;
let api: Api;
const text = (s: string) => new TextEncoder().encode(s);

const put = async (path: string, content: string): Promise<string> => {
  const done = await uploadBytes(api, path, text(content));
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return done.body.version as string;
};

/** The path's history as listed: [content, current] of each version, newest first. */
async function history(path: string): Promise<[string, boolean][]> {
  const listed = await api.get(`/v1/versions/${encodePath(path)}`);
  if (listed.status === 404) return [];
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  const out: [string, boolean][] = [];
  for (const v of listed.body.versions as { version: string; current: boolean }[]) {
    out.push([new TextDecoder().decode(await downloadBytes(api, path, `?version=${v.version}`)), v.current]);
  }
  return out;
}

/** Runs `body` with the server's clock stopped: everything it commits happens in one millisecond. */
async function inOneMillisecond(body: () => Promise<void>): Promise<void> {
  const clock = server.ctx.clock;
  const frozen = clock();
  server.ctx.clock = () => new Date(frozen);
  try {
    await body();
  } finally {
    server.ctx.clock = clock;
  }
}

beforeAll(async () => {
  server = await startTestServer({ env: { DFS_KEEP_VERSIONS: String(KEEP) } });
  api = new Api(server.url, server.adminToken);
});
afterAll(() => server?.close());

describe('a folder move and the histories of deleted files', () => {
  it('leaves a deleted file history where it was, out of the history of a live file at its landing path', async () => {
    for (const c of ['src-x-1', 'src-x-2', 'src-x-3']) await put('h1/src/x', c);
    await put('h1/src/keep', 'keep');
    expect((await api.delete('/v1/files/h1/src/x')).status).toBe(204);
    for (const c of ['dst-x-1', 'dst-x-2', 'dst-x-3']) await put('h1/dst/x', c);

    const moved = await api.post('/v1/move', { from: 'h1/src', to: 'h1/dst' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.moved).toBe(1);

    expect(await history('h1/dst/x')).toEqual([
      ['dst-x-3', true],
      ['dst-x-2', false],
      ['dst-x-1', false],
    ]);
    expect(await history('h1/dst/keep')).toEqual([['keep', true]]);
    // The deleted file's history is still where it was, and can be restored there.
    const left = await history('h1/src/x');
    expect(left).toEqual([
      ['src-x-3', false],
      ['src-x-2', false],
      ['src-x-1', false],
    ]);
    const versions = (await api.get('/v1/versions/h1/src/x')).body.versions as { version: string }[];
    expect((await api.post('/v1/restore', { path: 'h1/src/x', version: versions[0]!.version })).status).toBe(201);
    expect(new TextDecoder().decode(await downloadBytes(api, 'h1/src/x'))).toBe('src-x-3');
  });

  it('does the same when the source lies inside the destination', async () => {
    await put('h2/x', 'outer-x');
    await put('h2/sub/x', 'inner-x');
    await put('h2/sub/keep', 'keep');
    expect((await api.delete('/v1/files/h2/sub/x')).status).toBe(204);

    const moved = await api.post('/v1/move', { from: 'h2/sub', to: 'h2' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.moved).toBe(1);
    expect(await history('h2/x')).toEqual([['outer-x', true]]);
    expect(await history('h2/keep')).toEqual([['keep', true]]);
    expect(await history('h2/sub/x')).toEqual([['inner-x', false]]);
    expect(await history('h2/sub/keep')).toEqual([]);
  });

  it('continues the history a deleted file left at a landing path, within DFS_KEEP_VERSIONS', async () => {
    for (const c of ['dst-y-1', 'dst-y-2']) await put('h3/dst/y', c);
    expect((await api.delete('/v1/files/h3/dst/y')).status).toBe(204);
    for (const c of ['src-y-1', 'src-y-2', 'src-y-3']) await put('h3/src/y', c);

    const moved = await api.post('/v1/move', { from: 'h3/src', to: 'h3/dst' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    // As an upload there would: the moved file's versions are the newest, the oldest go.
    expect(await history('h3/dst/y')).toEqual([
      ['src-y-3', true],
      ['src-y-2', false],
      ['src-y-1', false],
    ]);
    expect(await history('h3/src/y')).toEqual([]);
  });
});

describe('a move that merges two histories', () => {
  it('keeps the versions most recently current, current first', async () => {
    // a.txt made first, then two versions of b.txt; a.txt replaces b.txt by a move.
    await put('hm/a.txt', 'A1');
    for (const c of ['B1', 'B2']) await put('hm/b.txt', c);
    expect((await api.post('/v1/move', { from: 'hm/a.txt', to: 'hm/b.txt', overwrite: true })).status).toBe(200);
    expect(await history('hm/b.txt')).toEqual([
      ['A1', true],
      ['B2', false],
      ['B1', false],
    ]);

    // A1 was current last: a new version keeps it and drops B1, the oldest to stop being current.
    await put('hm/b.txt', 'B3');
    expect(await history('hm/b.txt')).toEqual([
      ['B3', true],
      ['A1', false],
      ['B2', false],
    ]);

    // A folder move merging histories holds the limit too.
    for (const c of ['S1', 'S2', 'S3']) await put('hm/src/x.txt', c);
    for (const c of ['D1', 'D2', 'D3']) await put('hm/dst/x.txt', c);
    expect((await api.post('/v1/move', { from: 'hm/src', to: 'hm/dst', overwrite: true })).body.moved).toBe(1);
    // dst/x.txt held D2 and D3 most recently before S3 came: S2 was current elsewhere, earlier.
    expect(await history('hm/dst/x.txt')).toEqual([
      ['S3', true],
      ['D3', false],
      ['D2', false],
    ]);
  });
});

describe('versions superseded in the same millisecond', () => {
  it('keep their commit order: retention keeps the latest, listed newest first', async () => {
    await inOneMillisecond(async () => {
      for (let i = 1; i <= 8; i++) await put('ms/one.txt', `v${i}`);
    });
    expect(await history('ms/one.txt')).toEqual([
      ['v8', true],
      ['v7', false],
      ['v6', false],
    ]);
  });

  it('keep their commit order through a delete', async () => {
    await inOneMillisecond(async () => {
      for (let i = 1; i <= 3; i++) await put('ms/gone.txt', `g${i}`);
      expect((await api.delete('/v1/files/ms/gone.txt')).status).toBe(204);
    });
    expect(await history('ms/gone.txt')).toEqual([
      ['g3', false],
      ['g2', false],
      ['g1', false],
    ]);
  });

  it('keep their commit order when a move merges two histories', async () => {
    await inOneMillisecond(async () => {
      for (const c of ['to-1', 'to-2']) await put('ms/mv/to.txt', c);
      for (const c of ['from-1', 'from-2']) await put('ms/mv/from.txt', c);
      const moved = await api.post('/v1/move', { from: 'ms/mv/from.txt', to: 'ms/mv/to.txt', overwrite: true });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    });
    // Superseded in this order: to-1 (by to-2), from-1 (by from-2), to-2 (by the move).
    expect(await history('ms/mv/to.txt')).toEqual([
      ['from-2', true],
      ['to-2', false],
      ['from-1', false],
    ]);
  });

  it('are kept as many as DFS_KEEP_VERSIONS when one batch complete commits them, the current one first', async () => {
    const path = 'ms/batch.txt';
    const created = await api.post('/v1/batch/uploads', { files: Array.from({ length: 20 }, (_, i) => ({ path, size: `item-${String(i).padStart(2, '0')}`.length })) });
    expect(created.status).toBe(200);
    await Promise.all(
      created.body.uploads.map(async (u: { url: string; headers: Record<string, string> }, i: number) => {
        const response = await fetch(u.url, { method: 'PUT', headers: u.headers, body: text(`item-${String(i).padStart(2, '0')}`) });
        expect(response.status).toBe(200);
      }),
    );
    // The order the batch commits them in is its own: the real index, watched, tells it.
    const contentOf = new Map<string, string>(created.body.uploads.map((u: { id: string }, i: number) => [u.id, `item-${String(i).padStart(2, '0')}`]));
    const committed: string[] = [];
    const index = server.ctx.index;
    // (The commits the same listing verified go to the index together, in their order.)
    server.ctx.index = new Proxy(index, {
      get: (target, name) =>
        name === 'commitVersions'
          ? async (inputs: Parameters<typeof index.commitVersions>[0]) => {
              const records = await target.commitVersions(inputs);
              committed.push(...inputs.map((input) => contentOf.get(input.uploadId!)!));
              return records;
            }
          : Reflect.get(target, name, target).bind(target),
    });
    try {
      await inOneMillisecond(async () => {
        const done = await api.post('/v1/batch/complete', { uploads: created.body.uploads.map((u: { id: string }) => ({ id: u.id })) });
        expect(done.status).toBe(200);
        expect(done.body.results.every((r: { file?: unknown }) => r.file)).toBe(true);
      });
    } finally {
      server.ctx.index = index;
    }
    const listed = (await api.get(`/v1/versions/${encodePath(path)}`)).body.versions as { version: string; current: boolean }[];
    expect(listed.map((v) => v.current)).toEqual([true, false, false]);
    expect(listed[0]!.version).toBe((await api.get(`/v1/files/${encodePath(path)}`)).body.version);
    // The three committed last, newest first: the two kept are the two current just before.
    expect(committed).toHaveLength(20);
    expect(await history(path)).toEqual(committed.slice(-3).reverse().map((content, i) => [content, i === 0]));
  });
});
