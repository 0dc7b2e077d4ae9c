/**
 * The CLI's PUTs against a real local HTTP server, both ways they go: a small in-memory body
 * over a bare keep-alive socket, a file range over node:http through reused send buffers. The
 * bytes arrive whole, a store that refuses is reported by its status (also when its refusal
 * comes chunked, which only node:http reads), and one that stops reading is given up on with a
 * message that says so.
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
let connections = 0;
const received = new Map<string, Buffer>();
const receivedHeaders = new Map<string, http.IncomingHttpHeaders>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dfs-http-put-'));
  path = join(work, 'file.bin');
  await writeFile(path, FILE);
  server = http.createServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    if (url.pathname === '/refuse') {
      // Answered before the body is read, then the body is drained: a server that closed with
      // unread bytes would reset the connection, and the kernel would drop the answer with it.
      response.writeHead(403, { 'content-type': 'application/xml' });
      response.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      return request.resume();
    }
    if (url.pathname === '/refuse-chunked') {
      response.writeHead(403, { 'content-type': 'application/xml' });
      response.write('<Error><Code>AccessDenied</Code>');
      return response.end('<Message>Request has expired</Message></Error>');
    }
    if (url.pathname === '/stall') return request.pause();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.set(url.pathname, Buffer.concat(chunks));
      receivedHeaders.set(url.pathname, request.headers);
      response.writeHead(200, { etag: '"e"', 'content-length': 0 });
      response.end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

describe('PUT of a small in-memory body', () => {
  it('sends it with its signed headers, one keep-alive socket for requests in turn', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const body = FILE.subarray(i * 1000, i * 1000 + 4096);
      expect(await put(`${base}/small${i}?X-Amz-Signature=abc`, { 'Content-Length': '4096', 'Content-MD5': 'x' }, body)).toBe('"e"');
      expect(received.get(`/small${i}`)!.equals(body)).toBe(true);
      expect(receivedHeaders.get(`/small${i}`)).toMatchObject({ 'content-length': '4096', 'content-md5': 'x' });
    }
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('reports refusals by status, chunked ones through node:http', async () => {
    // The S3 error document reads as its code and message, not as XML.
    for (const [path, said] of [
      ['/refuse', 'SignatureDoesNotMatch'],
      ['/refuse-chunked', 'AccessDenied (Request has expired)'],
    ] as const) {
      const error = await put(`${base}${path}`, { 'content-length': '10' }, FILE.subarray(0, 10)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransferError);
      expect((error as TransferError).status).toBe(403);
      expect((error as TransferError).message).toBe(`the store refused the upload: HTTP 403 ${said}`);
    }
    const expired = (await put(`${base}/refuse-chunked`, {}, FILE.subarray(0, 10)).catch((e: unknown) => e)) as TransferError;
    expect(expired.needsNewUrl).toBe(true);
  });

  it('gives up on a store that never answers, saying so', async () => {
    const error = await put(`${base}/stall`, {}, FILE.subarray(0, 100), undefined, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).message).toMatch(/did not answer for 0.3 s/);
  });
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
