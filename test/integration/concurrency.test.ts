import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, downloadBytes, sameBytes, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let api: Api;
const text = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
});
afterAll(() => server?.close());

describe('racing writers', () => {
  it('20 writers with ifMatch on one path: one wins per round, the rest get 412, nothing is lost', async () => {
    const first = await uploadBytes(api, 'race/counter.txt', text('0'));
    let current: string = first.body.version;
    const winners: string[] = [];
    for (let round = 1; round <= 5; round++) {
      // Every writer uploads its bytes first, then all complete at once against the same version.
      const uploads = await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          const body = text(`round ${round} writer ${writer}`);
          const created = await api.post('/v1/uploads', { path: 'race/counter.txt', size: body.length, ifMatch: current });
          expect(created.status).toBe(201);
          const put = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
          expect(put.ok).toBe(true);
          return { id: created.body.id as string, body };
        }),
      );
      const results = await Promise.all(uploads.map((u) => api.post(`/v1/uploads/${u.id}/complete`, {})));
      const won = results.filter((r) => r.status === 200);
      const lost = results.filter((r) => r.status === 412);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const r of lost) expect(r.body.error.code).toBe('precondition_failed');
      const winner = uploads[results.indexOf(won[0]!)]!;
      expect(await downloadBytes(api, 'race/counter.txt')).toEqual(winner.body);
      current = won[0]!.body.version;
      winners.push(current);
    }
    const versions = await api.get('/v1/versions/race/counter.txt');
    // The initial version and one winner per round: every committed update is in the history.
    expect(versions.body.versions.map((v: { version: string }) => v.version).slice(0, 5)).toEqual([...winners].reverse());
    expect(versions.body.versions).toHaveLength(6);
  });

  it('ifNoneMatch: exactly one of many creators of a new path wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const body = text(`creator ${i}`);
        const created = await api.post('/v1/uploads', { path: 'race/new.txt', size: body.length, ifNoneMatch: '*' });
        await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
        return api.post(`/v1/uploads/${created.body.id}/complete`, {});
      }),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(9);
  });

  it('ifMatch "*": commits while the path holds a file, whichever version, and 412s once it is gone', async () => {
    const refused = await api.post('/v1/uploads', { path: 'race/star.txt', size: 1, ifMatch: '*' });
    expect(refused.status).toBe(412);
    await uploadBytes(api, 'race/star.txt', text('1'));
    const body = text('2');
    const created = await api.post('/v1/uploads', { path: 'race/star.txt', size: body.length, ifMatch: '*' });
    expect(created.status).toBe(201);
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
    await uploadBytes(api, 'race/star.txt', text('3'));
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
    expect(await downloadBytes(api, 'race/star.txt')).toEqual(body);

    const late = await api.post('/v1/uploads', { path: 'race/star.txt', size: body.length, ifMatch: '*' });
    await fetch(late.body.url, { method: 'PUT', headers: late.body.headers, body });
    expect((await api.delete('/v1/files/race/star.txt')).status).toBe(204);
    const gone = await api.post(`/v1/uploads/${late.body.id}/complete`, {});
    expect(gone.status).toBe(412);
    expect(gone.body.error.message).toContain('no longer exists');
  });

  it('completes of one upload sent at once all answer with the one commit', async () => {
    for (let round = 0; round < 5; round++) {
      const body = text(`retried ${round}`);
      const created = await api.post('/v1/uploads', { path: 'race/retried.txt', size: body.length });
      await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
      const results = await Promise.all(Array.from({ length: 4 }, () => api.post(`/v1/uploads/${created.body.id}/complete`, {})));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(new Set(results.map((r) => r.body.version)).size).toBe(1);
    }
    expect((await api.get('/v1/versions/race/retried.txt')).body.versions).toHaveLength(5);
  });

  it('an abort racing a complete: never both succeed, and the answers match the index', async () => {
    for (let round = 0; round < 20; round++) {
      const path = `race/abort/${round}.txt`;
      const body = text(`abort or commit ${round}`);
      const created = await api.post('/v1/uploads', { path, size: body.length });
      await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body });
      const [complete, abort] = await Promise.all([api.post(`/v1/uploads/${created.body.id}/complete`, {}), api.delete(`/v1/uploads/${created.body.id}`)]);
      const committed = (await api.get(`/v1/files/${path}`)).status === 200;
      if (committed) {
        expect(complete.status).toBe(200);
        expect(abort.status).toBe(409);
        expect(abort.body.error).toMatchObject({ code: 'conflict', reason: 'upload_completed' });
      } else {
        expect(abort.status).toBe(204);
        expect(complete.status).toBe(404);
      }
    }
  });

  it('an abort racing the assembly of a multipart upload: one wins, and the service lives on', async () => {
    const partSize = 5 * 1024 * 1024;
    const bytes = new Uint8Array(new ArrayBuffer(2 * partSize)).fill(7);
    for (let round = 0; round < 12; round++) {
      const path = `race/abort-multipart/${round}.bin`;
      const created = await api.post('/v1/uploads', { path, size: bytes.length, multipart: true, partSize });
      expect(created.status).toBe(201);
      const puts = await Promise.all(
        created.body.parts.map((part: { url: string; headers: Record<string, string> }, i: number) =>
          fetch(part.url, { method: 'PUT', headers: part.headers, body: bytes.subarray(i * partSize, (i + 1) * partSize) }),
        ),
      );
      expect(puts.every((put) => put.ok)).toBe(true);
      const completing = api.post(`/v1/uploads/${created.body.id}/complete`, {});
      // Spread over the assembly: the abort lands before, during or after the parts are read.
      await new Promise((resolve) => setTimeout(resolve, round));
      const [complete, abort] = await Promise.all([completing, api.delete(`/v1/uploads/${created.body.id}`)]);
      const committed = (await api.get(`/v1/files/${path}`)).status === 200;
      if (committed) {
        expect(complete.status).toBe(200);
        expect(abort.status).toBe(409);
        expect(await sameBytes(await downloadBytes(api, path), bytes)).toBe('same');
      } else {
        expect(abort.status).toBe(204);
        expect(complete.status).toBe(404);
      }
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('concurrent uploads to different paths all commit', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => uploadBytes(api, `race/many/${i}.txt`, text(String(i)))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect((await api.get('/v1/files?prefix=race/many/&limit=1000')).body.files).toHaveLength(30);
  });
});

/**
 * A request that read a version and commits from it, with another client's change landing in
 * between: the index's own guard decides, so the outcome is one some serial order gives. The
 * other change is made over HTTP at the moment the commit reaches the index (the commit then
 * goes through to the real index).
 */
describe('a commit from a version that changed under it', () => {
  const beforeNextCommit = (change: () => Promise<void>) => {
    const index = server.ctx.index;
    const commit = index.commitVersion.bind(index);
    return vi.spyOn(index, 'commitVersion').mockImplementationOnce(async (input) => {
      await change();
      return commit(input);
    });
  };

  it('a restore whose file was moved away meanwhile restores nothing at the old path', async () => {
    const v1 = (await uploadBytes(api, 'serial/restore.txt', text('one'))).body.version;
    await uploadBytes(api, 'serial/restore.txt', text('two'));
    const spy = beforeNextCommit(async () => {
      expect((await api.post('/v1/move', { from: 'serial/restore.txt', to: 'serial/moved.txt' })).status).toBe(200);
    });
    try {
      const restored = await api.post('/v1/restore', { path: 'serial/restore.txt', version: v1 });
      expect(restored.status).toBe(404);
      expect(restored.body.error.message).toBe(`"serial/restore.txt" has no version "${v1}"`);
    } finally {
      spy.mockRestore();
    }
    // As if the move came first: the file and both versions are at the new path, nothing at the old.
    expect((await api.get('/v1/files/serial/restore.txt')).status).toBe(404);
    expect(await downloadBytes(api, 'serial/moved.txt')).toEqual(text('two'));
    expect((await api.get('/v1/versions/serial/moved.txt')).body.versions.map((v: { version: string }) => v.version)).toContain(v1);
  });

  it('a copy whose source version was dropped meanwhile copies what is current then', async () => {
    await uploadBytes(api, 'serial/copied.txt', text('old'));
    const spy = beforeNextCommit(async () => {
      // Ten newer versions: the one the copy read falls past DFS_KEEP_VERSIONS and is dropped.
      for (let i = 1; i <= 10; i++) await uploadBytes(api, 'serial/copied.txt', text(`new ${i}`));
    });
    try {
      const copy = await api.post('/v1/copy', { from: 'serial/copied.txt', to: 'serial/copy.txt' });
      expect(copy.status).toBe(201);
    } finally {
      spy.mockRestore();
    }
    expect(await downloadBytes(api, 'serial/copy.txt')).toEqual(text('new 10'));
  });
});
