/** What the store adapter signs into upload URLs, checked without a network. */
import { describe, expect, it } from 'vitest';
import { contentDisposition, S3ObjectStore } from '../../src/store/s3-object-store.ts';

const base = { region: 'us-east-1', bucket: 'dfs', accessKeyId: 'AK', secretAccessKey: 'SK', forcePathStyle: true, endpoint: 'http://127.0.0.1:9000' };
const signed = (url: string) => new URL(url).searchParams.get('X-Amz-SignedHeaders')!.split(';');

describe('S3ObjectStore presigning', () => {
  it('signs length, type, MD5, SHA-256 and server-side encryption into a PUT', async () => {
    const store = new S3ObjectStore({ ...base, sse: { type: 'aws:kms', kmsKeyId: 'key-1' } });
    const put = await store.presignPut('o/1', {
      contentLength: 10,
      contentType: 'text/plain',
      contentMd5: 'XUFAKrxLKna5cZ2REBfFkg==',
      sha256: 'ab'.repeat(32),
      expiresInSeconds: 60,
    });
    expect(put.headers).toEqual({
      'Content-Length': '10',
      'Content-Type': 'text/plain',
      'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==',
      'If-None-Match': '*',
      'x-amz-checksum-sha256': Buffer.from('ab'.repeat(32), 'hex').toString('base64'),
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'key-1',
    });
    expect(signed(put.url)).toEqual([
      'content-length',
      'content-md5',
      'content-type',
      'host',
      'if-none-match',
      'x-amz-checksum-sha256',
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
    ]);
    expect(put.url).not.toMatch(/x-amz-checksum-crc32/i);
  });

  it('signs each part with its own length, and MD5 when given', async () => {
    const store = new S3ObjectStore(base);
    const part = await store.presignPart('o/1', 'upload-1', 3, { contentLength: 5 * 1024 * 1024, contentMd5: 'XUFAKrxLKna5cZ2REBfFkg==', expiresInSeconds: 60 });
    expect(part.headers).toEqual({ 'Content-Length': String(5 * 1024 * 1024), 'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==' });
    expect(new URL(part.url).searchParams.get('partNumber')).toBe('3');
    expect(new URL(part.url).searchParams.get('uploadId')).toBe('upload-1');
    expect(signed(part.url)).toEqual(['content-length', 'content-md5', 'host']);
  });

  it('writes keys under the key prefix and presigned URLs for the public endpoint', async () => {
    const store = new S3ObjectStore({ ...base, endpoint: 'http://s3:9000', publicEndpoint: 'https://files.example.com', keyPrefix: 'team/' });
    const get = await store.presignGet('o/abc', { expiresInSeconds: 60, filename: 'a.txt', disposition: 'inline', contentType: 'text/plain' });
    expect(get.url.startsWith('https://files.example.com/dfs/team/o/abc?')).toBe(true);
    expect(Date.parse(get.expiresAt) - Date.now()).toBeGreaterThan(50_000);
  });

  it('builds a Content-Disposition that survives quotes, commas and unicode', () => {
    expect(contentDisposition('attachment', 'rapport "final", été.pdf')).toBe(
      `attachment; filename="rapport _final_, _t_.pdf"; filename*=UTF-8''rapport%20%22final%22%2C%20%C3%A9t%C3%A9.pdf`,
    );
  });
});
