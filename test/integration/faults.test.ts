import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storageUnavailable } from '../../src/core/errors.ts';
import type { ObjectStore } from '../../src/core/object-store.ts';
import { Api, downloadBytes, encodePath, randomBytes, sameBytes, uploadBytes } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';

const MiB = 1024 * 1024;

/** A server whose store sits behind a proxy the test can cut. */
let server: TestServer;
let proxy: TcpProxy;
let api: Api;

beforeAll(async () => {
  server = await startTestServer({ storeBehindProxy: true });
  proxy = server.storeProxy!;
  api = new Api(server.url, server.adminToken);
});
afterAll(async () => {
  await server?.close();
});

describe('the store is down', () => {
  it('answers 503 storage_unavailable where the store is needed, and keeps serving the index', async () => {
    expect((await uploadBytes(api, 'f/before.txt', new TextEncoder().encode('before'))).status).toBe(200);
    await proxy.cut();
    try {
      const create = await api.post('/v1/uploads', { path: 'f/new.bin', size: 30 * MiB });
      expect(create.status).toBe(503);
      expect(create.body.error).toEqual({ code: 'storage_unavailable', message: 'the object store is unavailable (CreateMultipartUpload failed)' });

      const ready = await api.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ index: 'ok', store: expect.stringMatching(/^the object store is unavailable \(ListObjects(V2)? failed\)$/) });

      expect((await api.get('/v1/files?prefix=f/')).body.files.map((f: { path: string }) => f.path)).toEqual(['f/before.txt']);
      expect((await api.get('/v1/files/f/before.txt')).status).toBe(200);
    } finally {
      await proxy.restore();
    }
    expect((await api.get('/readyz')).status).toBe(200);
  });

  it('a complete that cannot reach the store commits nothing and can be retried', async () => {
    const bytes = new TextEncoder().encode('retry me');
    const created = await api.post('/v1/uploads', { path: 'f/retry.txt', size: bytes.length });
    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes })).ok).toBe(true);
    await proxy.cut();
    try {
      const failed = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
      expect(failed.status).toBe(503);
      expect((await api.get('/v1/files/f/retry.txt')).status).toBe(404);
      expect((await server.ctx.index.getUpload(created.body.id))!.state).toBe('pending');
    } finally {
      await proxy.restore();
    }
    const done = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
    expect(done.status).toBe(200);
    expect(await downloadBytes(api, 'f/retry.txt')).toEqual(bytes);
  });
});

describe('the client disappears mid-upload', () => {
  it('a PUT cut off halfway leaves nothing committed; the upload can be finished later', async () => {
    const bytes = randomBytes(8 * MiB, 21);
    const created = await api.post('/v1/uploads', { path: 'f/cut.bin', size: bytes.length, multipart: false });
    const controller = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        if (sent >= bytes.length / 2) {
          controller.abort();
          return;
        }
        stream.enqueue(bytes.subarray(sent, sent + 256 * 1024));
        sent += 256 * 1024;
      },
    });
    await expect(
      fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body, duplex: 'half', signal: controller.signal } as RequestInit),
    ).rejects.toThrow();

    const complete = await api.post(`/v1/uploads/${created.body.id}/complete`, {});
    expect(complete.status).toBe(422);
    expect((await api.get(`/v1/files/${encodePath('f/cut.bin')}`)).status).toBe(404);

    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes })).ok).toBe(true);
    expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
    expect(await sameBytes(await downloadBytes(api, 'f/cut.bin'), bytes)).toBe('same');
  });
});

/** The real store, except that its answers to `lost` calls never arrive: the store acts, the caller hears a failure. */
function losingAnswersTo(store: ObjectStore, lost: keyof ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== 'function') return value;
      if (name !== lost) return value.bind(target);
      return async (...args: unknown[]) => {
        await value.apply(target, args);
        throw storageUnavailable(`the object store is unavailable (${String(lost)} failed)`);
      };
    },
  });
}

describe('an answer the store gave that never arrived', () => {
  it('commits a multipart upload whose assembly succeeded though its answer was lost', async () => {
    const bytes = randomBytes(5 * MiB + 333, 31);
    const real = server.ctx.store;
    server.ctx.store = losingAnswersTo(real, 'completeMultipart');
    try {
      const done = await uploadBytes(api, 'f/assembled.bin', bytes, { partSize: 5 * MiB, multipart: true });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    } finally {
      server.ctx.store = real;
    }
    expect(await sameBytes(await downloadBytes(api, 'f/assembled.bin'), bytes)).toBe('same');
  });
});

describe('a store that stops answering', () => {
  it('fails what needs the store with 503 once S3_TIMEOUT passes in silence, commits nothing, and completes once it answers again', async () => {
    const silent = await startTestServer({ storeBehindProxy: true, env: { S3_TIMEOUT: '1' } });
    try {
      const sapi = new Api(silent.url, silent.adminToken);
      const bytes = new TextEncoder().encode('sent before the store went silent');
      const created = await sapi.post('/v1/uploads', { path: 'hung/file.txt', size: bytes.length });
      expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes })).ok).toBe(true);
      await silent.storeProxy!.hang();
      try {
        const complete = await sapi.post(`/v1/uploads/${created.body.id}/complete`, {});
        expect(complete.status).toBe(503);
        expect(complete.body.error).toEqual({ code: 'storage_unavailable', message: 'the object store is unavailable (HeadObject failed)' });
        expect((await sapi.get('/v1/files/hung/file.txt')).status).toBe(404);
        expect((await silent.ctx.index.getUpload(created.body.id))!.state).toBe('pending');
        expect((await sapi.post('/v1/uploads', { path: 'hung/big.bin', size: 30 * MiB })).status).toBe(503);
      } finally {
        await silent.storeProxy!.restore();
      }
      expect((await sapi.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
      expect(await sameBytes(await downloadBytes(sapi, 'hung/file.txt'), bytes)).toBe('same');
    } finally {
      await silent.close();
    }
  });
});

describe('a store that accepts connections and never answers', () => {
  it('reads as not ready within 3 s, in the answer and in the log, long before S3_TIMEOUT', async () => {
    const hung = await startTestServer({ storeBehindProxy: true, env: { DFS_LOG: 'json' } });
    const logged: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      await hung.storeProxy!.hang();
      const ready = await new Api(hung.url, null).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ index: 'ok', store: 'the object store did not answer within 3000 ms' });
      await expect.poll(() => logged.some((line) => line.includes('"/readyz"'))).toBe(true);
      const entry = JSON.parse(logged.find((line) => line.includes('"/readyz"'))!);
      expect(entry).toMatchObject({ status: 503, error: 'the object store did not answer within 3000 ms' });
    } finally {
      write.mockRestore();
      await hung.storeProxy!.restore();
      await hung.close();
    }
  });
});

describe('a store that never answered', () => {
  it('a server pointed at a closed port still starts, reports not ready and 503s uploads', async () => {
    const closed = await startTestServer({ env: { S3_ENDPOINT: 'http://127.0.0.1:9' } });
    try {
      const capi = new Api(closed.url, closed.adminToken);
      expect((await capi.get('/readyz')).status).toBe(503);
      expect((await capi.post('/v1/uploads', { path: 'x', size: 20 * MiB })).status).toBe(503);
      expect((await capi.get('/v1/files')).status).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('a server whose bucket does not exist, or whose key the store refuses, reports not ready and why', async () => {
    for (const [env, refusal] of [
      [{ S3_BUCKET: 'dfs-no-such-bucket' }, /\(404 NoSuchBucket\)$/],
      [{ S3_SECRET_ACCESS_KEY: 'not-the-secret-key-of-this-store-00000000' }, /\(403 SignatureDoesNotMatch\)$/],
    ] as const) {
      const misconfigured = await startTestServer({ env });
      try {
        const ready = await new Api(misconfigured.url, misconfigured.adminToken).get('/readyz');
        expect(ready.status).toBe(503);
        expect(ready.body.checks.index).toBe('ok');
        expect(ready.body.checks.store).toMatch(/^the object store refused ListObjects(V2)? /);
        expect(ready.body.checks.store).toMatch(refusal);
      } finally {
        await misconfigured.close();
      }
    }
  });

  it('tells clients only that the store is unavailable, and the log why', async () => {
    const closed = await startTestServer({ env: { S3_ENDPOINT: 'http://127.0.0.1:9', DFS_LOG: 'json' } });
    const logged: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      const capi = new Api(closed.url, closed.adminToken);
      const ready = await capi.get('/readyz');
      const single = await capi.post('/v1/uploads', { path: 'x', size: 1 });
      expect(single.status).toBe(201);
      const created = await capi.post('/v1/uploads', { path: 'y', size: 20 * MiB });
      const state = await capi.get(`/v1/uploads/${single.body.id}`);
      for (const response of [ready, created, state]) {
        expect(response.status).toBe(503);
        expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|:9\b|ECONNREFUSED|connect/);
      }
      expect(created.body.error.message).toBe('the object store is unavailable (CreateMultipartUpload failed)');
      expect(state.body.error.message).toBe('the object store is unavailable (HeadObject failed)');

      const entries = logged.flatMap((line) => line.split('\n')).filter(Boolean).map((line) => JSON.parse(line));
      const failed = entries.find((e) => e.method === 'POST' && e.status === 503);
      expect(failed).toMatchObject({ error: 'the object store is unavailable (CreateMultipartUpload failed)' });
      expect(failed.cause).toMatch(/ECONNREFUSED/);
      // A 503 /readyz answers its body rather than throwing, and its line says why all the same.
      const notReady = entries.find((e) => e.path === '/readyz');
      expect(notReady).toMatchObject({ status: 503, error: ready.body.checks.store });
      expect(notReady.cause).toMatch(/ECONNREFUSED/);
    } finally {
      write.mockRestore();
      await closed.close();
    }
  });
});
