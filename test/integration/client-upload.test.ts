/**
 * The shared upload engine (src/client, what the web UI runs) against a real server and S3
 * server: a Blob in parallel parts, uploads whose parts share one limit, a local file's parts
 * signed with MD5s taken side by side, a cancelled upload that is aborted on the server, a
 * batch of small files around one that cannot be read, and a batch file whose URL expired
 * before it went; and the download engine's ranges finding their link expired.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFile } from '../../src/cli/local-file.ts';
import { DfsClient } from '../../src/client/api-client.ts';
import { uploadMany } from '../../src/client/batch-upload.ts';
import { downloadRanges, type DownloadIo } from '../../src/client/download.ts';
import { TransferError } from '../../src/client/retry.ts';
import { createLimiter } from '../../src/client/pool.ts';
import { blobUpload } from '../../src/client/blob-upload.ts';
import { uploadFile, type ResumeState, type ResumeStore, type UploadIo, type UploadPart } from '../../src/client/upload.ts';
import { Api, downloadBytes, md5Base64, randomBytes, sameBytes, sha256Hex } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
let server: TestServer;
let api: Api;
let client: DfsClient;
let work: string;

beforeAll(async () => {
  server = await startTestServer();
  api = new Api(server.url, server.adminToken);
  client = new DfsClient({ endpoint: server.url, token: server.adminToken });
  work = await mkdtemp(join(tmpdir(), 'dfs-engine-'));
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** The bytes as a local file, the CLI's source. */
async function asLocalFile(name: string, bytes: Uint8Array<ArrayBuffer>): Promise<UploadIo> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return localFile(path, bytes.length);
}

/** The bytes as a Blob, the web UI's source. */
const blobOf = (bytes: Uint8Array<ArrayBuffer>): UploadIo => blobUpload(new Blob([bytes]));
const asBlob = async (_name: string, bytes: Uint8Array<ArrayBuffer>): Promise<UploadIo> => blobOf(bytes);

type Put = UploadPart['put'];

/** The source, each of its PUTs (a part's, or the whole file's in one PUT) going through `around`. */
function aroundPuts(source: UploadIo, around: (put: Put, start: number) => Put): UploadIo {
  const wrap = (start: number, part: UploadPart): UploadPart => ({ ...part, put: around((url, headers, signal) => part.put(url, headers, signal), start) });
  return {
    ...source,
    part: async (start, end) => wrap(start, await source.part(start, end)),
    whole: source.whole && (async () => {
      const whole = await source.whole!();
      return { ...whole, part: wrap(0, whole.part) };
    }),
  };
}

/** A client of `target` that remembers the id of every upload it creates, one by one or in batches. */
function recordingClient(ids: string[], target: TestServer = server): DfsClient {
  return new DfsClient({
    endpoint: target.url,
    token: target.adminToken,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const url = String(input);
      if (init?.method === 'POST' && url.endsWith('/v1/uploads') && response.ok) ids.push((await response.clone().json()).id);
      if (url.endsWith('/v1/batch/uploads') && response.ok) ids.push(...(await response.clone().json()).uploads.map((u: { id: string }) => u.id));
      return response;
    },
  });
}

/**
 * A Blob's parts, of which those from byte `cutFrom` on are cut off while being sent: their PUT
 * aborts `controller` (as a person pressing Cancel or a Ctrl-C would) and fails with `message`.
 */
function cutOff(bytes: Uint8Array<ArrayBuffer>, cutFrom: number, controller: AbortController, message: string): UploadIo {
  return aroundPuts(blobOf(bytes), (put, start) =>
    start < cutFrom
      ? put
      : async () => {
          const cancel = new DOMException(message, 'AbortError');
          controller.abort(cancel);
          throw cancel;
        },
  );
}

/**
 * The source's parts (or its whole, sent in one PUT), each recording the Content-MD5 it was sent
 * with, and the headers its URL signs.
 */
function recordingMd5s(source: UploadIo): { io: UploadIo; signed: string[]; signedHeaders: string[] } {
  const signed: string[] = [];
  const signedHeaders: string[] = [];
  const io = aroundPuts(source, (put, start) => (url, headers, signal) => {
    signedHeaders.push(new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '');
    signed.push(`${start} ${headers['Content-MD5']}`);
    return put(url, headers, signal);
  });
  return { io, signed, signedHeaders };
}

/** The source's PUTs, counted while in flight (with those of every source sharing `count`). */
function countingPuts(source: UploadIo, count: { now: number; most: number }): UploadIo {
  return aroundPuts(source, (put) => async (url, headers, signal) => {
    count.most = Math.max(count.most, ++count.now);
    try {
      return await put(url, headers, signal);
    } finally {
      count.now--;
    }
  });
}

describe('the shared upload engine', () => {
  it('keeps the parts of uploads sharing a part limit within it, each file whole', async () => {
    const files = [randomBytes(3 * 5 * MiB + 1, 48), randomBytes(2 * 5 * MiB + 3, 49), randomBytes(2 * 5 * MiB, 50)];
    const count = { now: 0, most: 0 };
    const partLimit = createLimiter(2);
    const uploaded = await Promise.all(
      files.map((bytes, i) => uploadFile(client, `engine/limited-${i}.bin`, countingPuts(blobOf(bytes), count), { multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 8, partLimit })),
    );
    expect(count.most).toBe(2);
    for (const [i, bytes] of files.entries()) {
      expect(uploaded[i]).toMatchObject({ size: bytes.length, sha256: await sha256Hex(bytes) });
      expect(await sameBytes(await downloadBytes(api, `engine/limited-${i}.bin`), bytes)).toBe('same');
    }
  });

  it('sends a Blob in parallel parts and commits it', async () => {
    const bytes = randomBytes(21 * MiB, 41);
    let progress = 0;
    const file = await uploadFile(client, 'engine/blob.bin', blobOf(bytes), {
      partSize: 5 * MiB,
      onProgress: (n) => (progress += n),
    });
    expect(file).toMatchObject({ path: 'engine/blob.bin', size: bytes.length });
    expect(progress).toBe(bytes.length);
    const link = await api.post('/v1/downloads', { path: 'engine/blob.bin' });
    expect(await sameBytes(new Uint8Array(await (await fetch(link.body.url)).arrayBuffer()), bytes)).toBe('same');
  });

  it.each([
    ['a local file', asLocalFile],
    ['a Blob (as the web UI sends)', asBlob],
  ])('signs each part of %s with the MD5 of its bytes, and the whole with its SHA-256', async (_source, source) => {
    // Twelve parts of 5 MiB and a short last one (for a local file, announced as groups of eight,
    // four and one). The digests are checked, not the grouping.
    const bytes = randomBytes(12 * 5 * MiB + 12_345, 45);
    const { io, signed, signedHeaders } = recordingMd5s(await source('parts.bin', bytes));
    const file = await uploadFile(client, 'engine/parts.bin', io, { partSize: 5 * MiB, concurrency: 3 });
    const expected = Array.from({ length: 13 }, (_, i) => `${i * 5 * MiB} ${md5Base64(bytes.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))}`);
    expect(signed.sort()).toEqual(expected.sort());
    for (const headers of signedHeaders) expect(headers).toContain('content-md5');
    expect(file.sha256).toBe(await sha256Hex(bytes));
    expect(await sameBytes(await downloadBytes(api, 'engine/parts.bin'), bytes)).toBe('same');
  });

  it.each([
    ['a Blob of 3 MiB', asBlob, randomBytes(3 * MiB + 7, 46)],
    ['a Blob of nothing', asBlob, new Uint8Array(0)],
    ['a local file of 3 MiB', asLocalFile, randomBytes(3 * MiB + 9, 47)],
  ])('signs %s sent in one PUT with its MD5 and records its SHA-256', async (name, source, bytes) => {
    const { io, signed, signedHeaders } = recordingMd5s(await source('single.bin', bytes));
    const file = await uploadFile(client, `engine/single ${name}.bin`, io);
    expect(signed).toEqual([`0 ${md5Base64(bytes)}`]);
    expect(signedHeaders).toEqual([expect.stringContaining('content-md5')]);
    expect(file).toMatchObject({ size: bytes.length, sha256: await sha256Hex(bytes) });
  });

  it('aborts the upload on the server when a person cancels it, and commits nothing', async () => {
    const ids: string[] = [];
    const controller = new AbortController();
    // The second part is cancelled while it is being sent.
    const io = cutOff(randomBytes(20 * MiB, 42), 5 * MiB, controller, 'cancelled');
    await expect(uploadFile(recordingClient(ids), 'engine/cancelled.bin', io, { partSize: 5 * MiB, concurrency: 1, abortOnFailure: true, signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(ids).toHaveLength(1);
    expect((await api.get(`/v1/uploads/${ids[0]}`)).body.state).toBe('aborted');
    expect((await api.get('/v1/files/engine/cancelled.bin')).status).toBe(404);
  });

  it('leaves an interrupted upload open to resume when not asked to abort it', async () => {
    const ids: string[] = [];
    const controller = new AbortController();
    const io = cutOff(randomBytes(6 * MiB, 43), 0, controller, 'interrupted');
    await expect(uploadFile(recordingClient(ids), 'engine/interrupted.bin', io, { multipartThreshold: MiB, partSize: 5 * MiB, signal: controller.signal })).rejects.toThrow(/interrupted/);
    expect((await api.get(`/v1/uploads/${ids[0]}`)).body.state).toBe('pending');
  });

  it('lets a second run that resumed an upload the first then completed report that file, though the store refuses its parts', async () => {
    const bytes = randomBytes(11 * MiB, 44);
    const saved = new Map<string, ResumeState>();
    const store: ResumeStore = {
      get: async (key) => saved.get(key) ?? null,
      set: async (key, state) => void saved.set(key, state),
      delete: async (key) => void saved.delete(key),
    };
    const resume = { store, key: 'one put run twice' };
    let secondSending!: () => void;
    const secondSends = new Promise<void>((resolve) => (secondSending = resolve));
    // The first run's parts wait for the second to be sending its own, signed for the same upload.
    const first = uploadFile(client, 'engine/twice.bin', aroundPuts(blobOf(bytes), (put) => async (...args) => (await secondSends, put(...args))), { multipartThreshold: MiB, partSize: 5 * MiB, resume });
    await expect.poll(() => saved.size).toBe(1);
    const second = uploadFile(
      client,
      'engine/twice.bin',
      aroundPuts(blobOf(bytes), (put) => async (...args) => {
        secondSending();
        // Sent once the first run has completed the upload: the store no longer takes parts for it.
        await first;
        return put(...args);
      }),
      { multipartThreshold: MiB, partSize: 5 * MiB, resume },
    );
    const [committed, reported] = await Promise.all([first, second]);
    expect(reported.version).toBe(committed.version);
    expect((await api.get('/v1/versions/engine/twice.bin')).body.versions).toHaveLength(1);
    expect(await sameBytes(await downloadBytes(api, 'engine/twice.bin'), bytes)).toBe('same');
  });

  it('goes on to commit a single PUT whose answer was lost after the store took it (the retry is refused as create-only)', async () => {
    for (const [name, source] of [['blob', asBlob], ['file', asLocalFile]] as const) {
      const bytes = randomBytes(3000, name.length);
      const answers: string[] = [];
      // The first try reaches the store, then its answer is lost (a connection reset on the way back).
      const io = aroundPuts(await source(`lost-${name}.bin`, bytes), (put) => async (url, headers, signal) => {
        if (answers.length === 0) {
          await put(url, headers, signal);
          answers.push('stored, answer lost');
          throw new TransferError('network error: socket hang up', 0);
        }
        try {
          return await put(url, headers, signal);
        } catch (error) {
          answers.push(`refused ${(error as TransferError).status}`);
          throw error;
        }
      });
      const file = await uploadFile(client, `engine/lost-answer-${name}.bin`, io);
      expect(answers).toEqual(['stored, answer lost', 'refused 412']);
      expect(file.sha256).toBe(await sha256Hex(bytes));
      expect(await sameBytes(await downloadBytes(api, `engine/lost-answer-${name}.bin`), bytes)).toBe('same');
    }
  });

  it('uploads a batch around a file that cannot be read, which fails alone', async () => {
    const files = ['a', 'b', 'c'].map((name, i) => ({ path: `engine/batch/${name}.bin`, bytes: randomBytes(1000 + i, 44 + i) }));
    const unreadable: UploadIo = { size: 10, part: () => Promise.reject(new Error('gone since it was listed')) };
    const outcomes = await uploadMany(client, [
      { path: files[0]!.path, io: blobOf(files[0]!.bytes) },
      { path: 'engine/batch/gone.bin', io: unreadable },
      ...files.slice(1).map(({ path, bytes }) => ({ path, io: blobOf(bytes) })),
    ]);
    expect(outcomes.map((o) => (o instanceof Error ? o.message : o.path))).toEqual(['engine/batch/a.bin', 'gone since it was listed', 'engine/batch/b.bin', 'engine/batch/c.bin']);
    for (const { path, bytes } of files) expect(await sameBytes(await downloadBytes(api, path), bytes), path).toBe('same');
    expect((await api.get('/v1/files/engine/batch/gone.bin')).status).toBe(404);
  });

  it('ends a batch file at once when cancelled wherever it waits (its read, the create, a PUT slot), aborting what was created', async () => {
    /** A gate: a promise and what opens it. */
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { opened, open };
    };
    const reading = gate();
    const creating = gate();
    const putting = gate();
    // One slot for reads and PUTs alike, two files a batch, both batches at once.
    const names = ['f0', 'f1', 'f2', 'f3'];
    const bytes = names.map((_, i) => randomBytes(100 + i, 60 + i));
    const controllers = names.map(() => new AbortController());
    const f0 = blobOf(bytes[0]!);
    // f0 is read slowly (the others wait for the slot), and its PUT is held until let go.
    const slowF0: UploadIo = aroundPuts({ ...f0, whole: async () => (await reading.opened, f0.whole!()) }, (put) => async (...args) => (await putting.opened, put(...args)));
    const ids = new Map<string, string>();
    let creates = 0;
    const held = new DfsClient({
      endpoint: server.url,
      token: server.adminToken,
      fetch: async (input, init) => {
        // The second batch's create is answered only when let go.
        if (String(input).endsWith('/v1/batch/uploads') && ++creates === 2) await creating.opened;
        const response = await fetch(input, init);
        if (String(input).endsWith('/v1/batch/uploads')) for (const u of (await response.clone().json()).uploads) ids.set(u.path, u.id);
        return response;
      },
    });
    const settledAt: string[] = [];
    const run = uploadMany(
      held,
      names.map((name, i) => ({ path: `engine/cancel/${name}.bin`, io: i === 0 ? slowF0 : blobOf(bytes[i]!), signal: controllers[i]!.signal })),
      { concurrency: 1, batchSize: 2, batchesAtOnce: 2, abortOnFailure: true, onSettled: (index) => settledAt.push(names[index]!) },
    );
    const stateOf = async (name: string) => (await api.get(`/v1/uploads/${ids.get(`engine/cancel/${name}.bin`)}`)).body.state;
    // f3 waits for its turn to be read, behind f0's.
    await new Promise((resolve) => setTimeout(resolve, 50));
    controllers[3]!.abort(new Error('cancelled f3'));
    expect(settledAt).toEqual(['f3']);
    reading.open();
    // f1 waits for a PUT slot behind f0's PUT; f2's batch is being created.
    await expect.poll(() => ids.has('engine/cancel/f1.bin') && creates === 2).toBe(true);
    controllers[1]!.abort(new Error('cancelled f1'));
    controllers[2]!.abort(new Error('cancelled f2'));
    expect(settledAt).toEqual(['f3', 'f1', 'f2']);
    await expect.poll(() => stateOf('f1')).toBe('aborted');
    creating.open();
    await expect.poll(() => ids.has('engine/cancel/f2.bin')).toBe(true);
    await expect.poll(() => stateOf('f2')).toBe('aborted');
    putting.open();
    const outcomes = await run;
    expect(outcomes.map((o) => (o instanceof Error ? o.message : o.path))).toEqual(['engine/cancel/f0.bin', 'cancelled f1', 'cancelled f2', 'cancelled f3']);
    // f3 never reached the server, and only f0 was committed.
    expect(ids.has('engine/cancel/f3.bin')).toBe(false);
    expect((await api.get('/v1/files?prefix=engine/cancel/')).body.files.map((f: { path: string }) => f.path)).toEqual(['engine/cancel/f0.bin']);
  });

  it('leaves out of the next commit a batch file cancelled during one the API must make again, and aborts it', async () => {
    const controller = new AbortController();
    const ids: string[] = [];
    let completes = 0;
    const blip = new DfsClient({
      endpoint: server.url,
      token: server.adminToken,
      fetch: async (input, init) => {
        // The first commit: the person cancels while it is under way, and the API could not check the bytes.
        if (String(input).endsWith('/v1/batch/complete') && ++completes === 1) {
          controller.abort(new Error('cancelled while committed'));
          const results = JSON.parse(String(init!.body)).uploads.map(({ id }: { id: string }) => ({ id, error: { code: 'storage_unavailable', message: 'the store did not answer' } }));
          return Response.json({ results });
        }
        const response = await fetch(input, init);
        if (String(input).endsWith('/v1/batch/uploads')) ids.push(...(await response.clone().json()).uploads.map((u: { id: string }) => u.id));
        return response;
      },
    });
    const [outcome] = await uploadMany(blip, [{ path: 'engine/cancel-commit.bin', io: blobOf(randomBytes(10, 70)), signal: controller.signal }], { abortOnFailure: true });
    expect((outcome as Error).message).toBe('cancelled while committed');
    expect(completes).toBe(1);
    expect((await api.get(`/v1/uploads/${ids[0]}`)).body.state).toBe('aborted');
    expect((await api.get('/v1/files/engine/cancel-commit.bin')).status).toBe(404);
  });

  it('aborts the upload a batch file renewed (its URL expired) when it is cancelled waiting for its commit', async () => {
    const short = await startTestServer({ env: { DFS_URL_EXPIRES: '2' } });
    try {
      const created: string[] = [];
      const recording = recordingClient(created, short);
      // a's one PUT waits past its URL's expiry, so a gets an upload of its own; b's PUT, sent at
      // once, is answered late, so a waits for the batch's commit when it is cancelled.
      let late = true;
      const a = aroundPuts(blobOf(randomBytes(100, 71)), (put) => async (url, headers, signal) => {
        if (late) await new Promise((resolve) => setTimeout(resolve, 3100));
        late = false;
        return put(url, headers, signal);
      });
      let openB!: () => void;
      const bHeld = new Promise<void>((resolve) => (openB = resolve));
      const b = aroundPuts(blobOf(randomBytes(200, 72)), (put) => async (...args) => {
        const etag = await put(...args);
        await bHeld;
        return etag;
      });
      const cancelA = new AbortController();
      let sent = 0;
      const run = uploadMany(recording, [{ path: 'engine/renewed/a.bin', io: a, signal: cancelA.signal }, { path: 'engine/renewed/b.bin', io: b }], { abortOnFailure: true, onProgress: () => sent++ });
      await expect.poll(() => sent, { timeout: 10_000 }).toBe(1);
      cancelA.abort(new Error('cancel a'));
      openB();
      const outcomes = await run;
      expect(outcomes.map((o) => (o instanceof Error ? o.message : o.path))).toEqual(['cancel a', 'engine/renewed/b.bin']);
      // The batch's two uploads, then the one a renewed: a's both aborted.
      expect(created).toHaveLength(3);
      const sapi = new Api(short.url, short.adminToken);
      const states = await Promise.all(created.map(async (id) => (await sapi.get(`/v1/uploads/${id}`)).body.state));
      expect(states).toEqual(['aborted', 'completed', 'aborted']);
    } finally {
      await short.close();
    }
  });

  it('gives a batch file whose URL expired before it was sent an upload of its own, and aborts the stale one', async () => {
    const short = await startTestServer({ env: { DFS_URL_EXPIRES: '2' } });
    try {
      const created: string[] = [];
      const recording = recordingClient(created, short);
      const bytes = randomBytes(1500, 48);
      // The one PUT waits past its URL's expiry (2 s) before it goes.
      let late = true;
      const io = aroundPuts(blobOf(bytes), (put) => async (url, headers, signal) => {
        if (late) await new Promise((resolve) => setTimeout(resolve, 3100));
        late = false;
        return put(url, headers, signal);
      });
      const retried: unknown[] = [];
      const [outcome] = await uploadMany(recording, [{ path: 'engine/late.bin', io }], { onRetry: (error) => retried.push(error) });
      expect(outcome).toMatchObject({ path: 'engine/late.bin', size: bytes.length });
      expect(retried).toHaveLength(1);
      expect(retried[0]).toMatchObject({ status: 403, needsNewUrl: true });
      expect(created).toHaveLength(2);
      const sapi = new Api(short.url, short.adminToken);
      expect((await sapi.get(`/v1/uploads/${created[0]}`)).body.state).toBe('aborted');
      expect((await sapi.get(`/v1/uploads/${created[1]}`)).body.state).toBe('completed');
      expect(await sameBytes(await downloadBytes(sapi, 'engine/late.bin'), bytes)).toBe('same');
    } finally {
      await short.close();
    }
  });
});

describe('the shared download engine', () => {
  it('asks once for a new link when the ranges in flight all find theirs expired, and assembles the file', async () => {
    const short = await startTestServer({ env: { DFS_URL_EXPIRES: '2' } });
    try {
      const sclient = new DfsClient({ endpoint: short.url, token: short.adminToken });
      const bytes = randomBytes(6 * MiB + 5, 51);
      await uploadFile(sclient, 'engine/ranges.bin', blobOf(bytes));
      const link = await sclient.download('engine/ranges.bin');
      // Every range's first try goes after the link's lifetime (2 s): a GET changes nothing, so wait by asking.
      await expect.poll(async () => (await fetch(link.url)).status, { interval: 100, timeout: 5000 }).toBe(403);
      const received = new Uint8Array(bytes.length);
      const io: DownloadIo = {
        async get(url, start, end, whole, onBytes) {
          const response = await fetch(url, { headers: whole ? {} : { Range: `bytes=${start}-${end - 1}` } });
          if (!response.ok) throw TransferError.refused('download', response.status, await response.text(), url);
          const chunk = new Uint8Array(await response.arrayBuffer());
          received.set(chunk, start);
          onBytes(chunk.length);
        },
      };
      let refreshes = 0;
      const retried: unknown[] = [];
      await downloadRanges(link, io, {
        rangeSize: MiB,
        concurrency: 4,
        refresh: () => {
          refreshes++;
          return sclient.download('engine/ranges.bin', { version: link.version });
        },
        onRetry: (error) => retried.push(error),
      });
      expect(retried).toHaveLength(4);
      for (const error of retried) expect(error).toMatchObject({ status: 403, needsNewUrl: true });
      expect(refreshes).toBe(1);
      expect(await sameBytes(received, bytes)).toBe('same');
    } finally {
      await short.close();
    }
  });
});
