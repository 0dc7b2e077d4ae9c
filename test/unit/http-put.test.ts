/**
 * The CLI's PUT of a file range against a real local HTTP server: the bytes arrive whole
 * through the reused send buffers, a store that refuses early is reported by its status, and
 * one that stops reading is given up on with a message that says so.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferError } from '../../src/client/retry.ts';
import { put } from '../../src/cli/http-transport.ts';

const FILE = randomBytes(5 * 1024 * 1024 + 3);
let work: string;
let path: string;
let server: http.Server;
let base: string;
const received = new Map<string, Buffer>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dfs-http-put-'));
  path = join(work, 'file.bin');
  await writeFile(path, FILE);
  server = http.createServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    if (url.pathname === '/refuse') {
      response.writeHead(403, { 'content-type': 'application/xml', connection: 'close' });
      return response.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    }
    if (url.pathname === '/stall') return request.pause();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.set(url.pathname, Buffer.concat(chunks));
      response.writeHead(200, { etag: '"e"', 'content-length': 0 });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

describe('PUT of a file range', () => {
  it('sends exactly the range, through buffers reused across requests', async () => {
    const ranges: [number, number][] = [[0, FILE.length], [1000, 1_700_001], [FILE.length - 10, FILE.length]];
    for (const [i, [start, end]] of ranges.entries()) {
      const etag = await put(`${base}/ok${i}`, { 'content-length': String(end - start) }, { path, start, end });
      expect(etag).toBe('"e"');
      expect(received.get(`/ok${i}`)!.equals(FILE.subarray(start, end))).toBe(true);
    }
  });

  it('reports a store that refuses before reading the body by its status', async () => {
    const error = await put(`${base}/refuse`, { 'content-length': String(FILE.length) }, { path, start: 0, end: FILE.length }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).status).toBe(403);
    expect((error as TransferError).message).toMatch(/refused the upload: HTTP 403/);
  });

  it('gives up on a store that stops reading, saying so', async () => {
    const error = await put(`${base}/stall`, { 'content-length': String(FILE.length) }, { path, start: 0, end: FILE.length }, undefined, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).transient).toBe(true);
    expect((error as TransferError).message).toMatch(/did not answer for 0.3 s/);
  });
});
