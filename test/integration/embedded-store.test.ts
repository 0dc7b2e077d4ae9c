/**
 * What the embedded S3 server checks as AWS S3 does, where the Ceph RGW the suite also runs on
 * does not (RGW 16 ignores x-amz-checksum-sha256): so on the embedded server, whatever store
 * the environment selects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, sameBytes, sha256Hex } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer({ embeddedStore: true });
  api = new Api(server.url, server.adminToken);
});
afterAll(() => server?.close());

describe('the embedded store', () => {
  it('refuses a single PUT whose bytes are not the ones whose SHA-256 create declared, keeping nothing of them', async () => {
    const good = new TextEncoder().encode('the declared bytes');
    const other = new TextEncoder().encode('another 18 bytes!!');
    expect(other.length).toBe(good.length);
    const created = (await api.post('/v1/uploads', { path: 'sha/declared.txt', size: good.length, sha256: await sha256Hex(good) })).body;

    const refused = await fetch(created.url, { method: 'PUT', headers: created.headers, body: other });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('BadDigest');
    expect((await api.post(`/v1/uploads/${created.id}/complete`, {})).status).toBe(422);

    expect((await fetch(created.url, { method: 'PUT', headers: created.headers, body: good })).status).toBe(200);
    const committed = await api.post(`/v1/uploads/${created.id}/complete`, {});
    expect(committed.status).toBe(200);
    expect(committed.body.sha256).toBe(await sha256Hex(good));
    expect(await sameBytes(await downloadBytes(api, 'sha/declared.txt'), good)).toBe('same');
  });

  it('refuses a declared SHA-256 that is no digest at all, and a malformed Content-MD5', async () => {
    const body = new TextEncoder().encode('abc');
    const created = (await api.post('/v1/uploads', { path: 'sha/malformed.txt', size: body.length })).body;
    const put = (headers: Record<string, string>) => fetch(created.url, { method: 'PUT', headers: { ...created.headers, ...headers }, body });
    // Unsigned headers: the store reads them all the same, as S3 does.
    const badSha = await put({ 'x-amz-checksum-sha256': 'not-a-digest' });
    expect(badSha.status).toBe(400);
    expect(await badSha.text()).toContain('InvalidRequest');
    const badMd5 = await put({ 'Content-MD5': 'AAAA' });
    expect(badMd5.status).toBe(400);
    expect(await badMd5.text()).toContain('InvalidDigest');
    expect((await api.post(`/v1/uploads/${created.id}/complete`, {})).status).toBe(422);
  });
});
