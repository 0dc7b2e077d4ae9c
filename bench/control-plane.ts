/**
 * Control-plane throughput with the S3 server local: create-upload requests per second and
 * whole small-file cycles (create, 1 KiB PUT to the store, complete) per second at 1, 8 and 32
 * concurrent clients; then list-page latency in a folder of 100,000 files out of 1,000,000
 * indexed. The server runs in its own process, as `npm start` runs it.
 */
import { DatabaseSync } from 'node:sqlite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClient, percentile, runLoad, type LoadResult } from './load.ts';
import { startServerProcess } from './server-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = [1, 8, 32];
const TOTAL_FILES = Number(process.env.BENCH_INDEXED_FILES ?? 1_000_000);
const FOLDER_FILES = Number(process.env.BENCH_FOLDER_FILES ?? 100_000);

export interface ControlPlaneReport {
  createUpload: LoadResult[];
  smallFileCycle: LoadResult[];
  list: { indexed: number; folder: number; pages: number; p50Ms: number; p95Ms: number; p99Ms: number; rootP95Ms: number };
}

export async function benchControlPlane(log: (line: string) => void): Promise<ControlPlaneReport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-bench-'));
  const token = `bench-admin-${crypto.randomUUID()}`;
  const env = { DFS_DATA_DIR: dataDir, DFS_ADMIN_TOKEN: token };
  try {
    let server = await startServerProcess(env);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const createUpload: LoadResult[] = [];
    const smallFileCycle: LoadResult[] = [];
    const payload = new Uint8Array(1024).fill(97);

    for (const concurrency of CONCURRENCY) {
      const client = makeClient(concurrency);
      const result = await runLoad(concurrency, SECONDS, async (w, i) => {
        const body = JSON.stringify({ path: `bench/create/${concurrency}/${w}/${i}.bin`, size: 1024 });
        const res = await client.send(`${server.url}/v1/uploads`, 'POST', auth, body);
        return res.status === 201;
      });
      createUpload.push(result);
      log(`create-upload  c=${concurrency}: ${result.perSecond.toFixed(0)}/s p50 ${result.p50Ms.toFixed(2)} ms p95 ${result.p95Ms.toFixed(2)} ms errors ${result.errors}`);
      client.agent.destroy();
    }

    for (const concurrency of CONCURRENCY) {
      const client = makeClient(concurrency);
      const s3 = makeClient(concurrency);
      const result = await runLoad(concurrency, SECONDS, async (w, i) => {
        const body = JSON.stringify({ path: `bench/cycle/${concurrency}/${w}/${i}.bin`, size: payload.length });
        const created = await client.send(`${server.url}/v1/uploads`, 'POST', auth, body);
        if (created.status !== 201) return false;
        const upload = JSON.parse(created.body) as { id: string; url: string; headers: Record<string, string> };
        const put = await s3.send(upload.url, 'PUT', upload.headers, payload);
        if (put.status !== 200) return false;
        const done = await client.send(`${server.url}/v1/uploads/${upload.id}/complete`, 'POST', auth, '{}');
        return done.status === 200;
      });
      smallFileCycle.push(result);
      log(`small-file cycle c=${concurrency}: ${result.perSecond.toFixed(0)}/s p50 ${result.p50Ms.toFixed(2)} ms p95 ${result.p95Ms.toFixed(2)} ms errors ${result.errors}`);
      client.agent.destroy();
      s3.agent.destroy();
    }

    await server.stop();
    log(`seeding ${TOTAL_FILES} files (${FOLDER_FILES} in one folder)…`);
    seedIndex(join(dataDir, 'index.db'), TOTAL_FILES, FOLDER_FILES);
    server = await startServerProcess(env);
    const list = await measureListing(server.url, auth);
    log(`list page (limit 100, delimiter /) in a ${FOLDER_FILES}-file folder of ${TOTAL_FILES}: p50 ${list.p50Ms.toFixed(2)} ms p95 ${list.p95Ms.toFixed(2)} ms; root p95 ${list.rootP95Ms.toFixed(2)} ms`);
    await server.stop();
    return { createUpload, smallFileCycle, list };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Bulk-loads committed files straight into the SQLite index in one transaction: going through
 * the API would take an hour and measure nothing about listing.
 */
function seedIndex(dbPath: string, total: number, inFolder: number): void {
  const db = new DatabaseSync(dbPath);
  const now = new Date().toISOString();
  const insertFile = db.prepare(
    'INSERT OR IGNORE INTO files (path, version, object_key, size, content_type, sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)',
  );
  const insertVersion = db.prepare(
    'INSERT OR IGNORE INTO versions (id, path, object_key, size, content_type, sha256, created_at, superseded_at) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)',
  );
  db.exec('BEGIN');
  for (let i = 0; i < total; i++) {
    const path = i < inFolder ? `big/file-${String(i).padStart(7, '0')}.dat` : `other/${i % 1000}/${Math.floor(i / 1000)}/f${i}.dat`;
    const version = `seed${String(i).padStart(22, '0')}`;
    insertFile.run(path, version, `o/seed/${i}`, 1024, 'application/octet-stream', now, now);
    insertVersion.run(version, path, `o/seed/${i}`, 1024, 'application/octet-stream', now);
  }
  db.exec('COMMIT');
  db.close();
}

async function measureListing(url: string, auth: Record<string, string>) {
  const client = makeClient(1);
  const latencies: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  // Walk the big folder page by page (every page a fresh keyset seek), then jump around in it.
  while (pages < 1000) {
    const query: string = `${url}/v1/files?prefix=big/&delimiter=/&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
    const t0 = performance.now();
    const res = await client.send(query, 'GET', auth);
    latencies.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.body}`);
    cursor = (JSON.parse(res.body) as { nextCursor: string | null }).nextCursor;
    pages++;
    if (cursor === null) break;
  }
  const root: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const res = await client.send(`${url}/v1/files?delimiter=/&limit=100`, 'GET', auth);
    root.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`root list failed: ${res.status}`);
  }
  client.agent.destroy();
  latencies.sort((a, b) => a - b);
  root.sort((a, b) => a - b);
  return {
    indexed: TOTAL_FILES,
    folder: FOLDER_FILES,
    pages,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    rootP95Ms: percentile(root, 95),
  };
}

if (import.meta.main) {
  const report = await benchControlPlane((line) => console.log(line));
  console.log(JSON.stringify(report));
}
