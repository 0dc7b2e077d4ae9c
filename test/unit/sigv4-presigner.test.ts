/**
 * The project's own presigner must produce exactly the URL the AWS SDK would, for the same
 * request and clock: then its speed costs no compatibility.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { nodeSigningCrypto } from '../../src/store/node-signing-crypto.ts';
import { encodeKeyPath, SigV4Presigner, webSigningCrypto } from '../../src/store/sigv4-presigner.ts';
import { contentDisposition } from '../../src/store/s3-object-store.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const date = new Date('2026-11-24T10:11:12Z');

function sdk(endpoint: string | undefined, forcePathStyle: boolean, region = 'us-east-1', sessionToken?: string) {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle,
    credentials: { ...credentials, sessionToken },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const KEYS = ['o/abc', 'dir/with space/ünïcödé.txt', "weird!'()*~key+=&?#%.bin", 'a/b/c/😀'];

describe.each([
  ['WebCrypto', webSigningCrypto],
  ['node:crypto', nodeSigningCrypto],
])('SigV4Presigner on %s matches @aws-sdk/s3-request-presigner', (_name, signingCrypto) => {
  it.each(KEYS)('PUT with signed Content-Type, Content-Length, Content-MD5 and SHA-256: %s', async (key) => {
    const client = sdk('http://127.0.0.1:7480', true);
    const md5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
    const sha = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
    const expected = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: 'dfs', Key: key, ContentType: 'text/plain; charset=utf-8', ContentLength: 1234, ContentMD5: md5, ChecksumSHA256: sha, ServerSideEncryption: 'AES256' }),
      {
        expiresIn: 900,
        signingDate: date,
        signableHeaders: new Set(['content-type', 'content-length', 'content-md5']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-server-side-encryption']),
      },
    );
    const own = await new SigV4Presigner(credentials, 'us-east-1', { crypto: signingCrypto }).presign({
      method: 'PUT',
      url: `http://127.0.0.1:7480/dfs/${encodeKeyPath(key)}`,
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': '1234',
        'Content-MD5': md5,
        'x-amz-checksum-sha256': sha,
        'x-amz-server-side-encryption': 'AES256',
      },
      query: { 'x-id': 'PutObject' },
      expiresInSeconds: 900,
      date,
    });
    expect(own).toBe(expected);
  });

  it('UploadPart with its query and a signed length', async () => {
    const client = sdk('https://minio.example.com:9000', true, 'eu-west-1');
    const expected = await getSignedUrl(
      client,
      new UploadPartCommand({ Bucket: 'dfs', Key: 'o/part', UploadId: 'abc~def/123+==', PartNumber: 17, ContentLength: 5242880 }),
      { expiresIn: 3600, signingDate: date, signableHeaders: new Set(['content-length']) },
    );
    const own = await new SigV4Presigner(credentials, 'eu-west-1', { crypto: signingCrypto }).presign({
      method: 'PUT',
      url: 'https://minio.example.com:9000/dfs/o/part',
      headers: { 'Content-Length': '5242880' },
      query: { partNumber: '17', uploadId: 'abc~def/123+==', 'x-id': 'UploadPart' },
      expiresInSeconds: 3600,
      date,
    });
    expect(own).toBe(expected);
  });

  it('GET with a unicode Content-Disposition, virtual-hosted on AWS, with a session token', async () => {
    const client = sdk(undefined, false, 'eu-central-1', 'SESSION/TOKEN+abc=');
    const disposition = contentDisposition('attachment', 'rapport été "final", v2.pdf');
    const expected = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'my-bucket', Key: 'o/x', ResponseContentDisposition: disposition, ResponseContentType: 'application/pdf' }),
      { expiresIn: 60, signingDate: date },
    );
    const own = await new SigV4Presigner({ ...credentials, sessionToken: 'SESSION/TOKEN+abc=' }, 'eu-central-1', { crypto: signingCrypto }).presign({
      method: 'GET',
      url: 'https://my-bucket.s3.eu-central-1.amazonaws.com/o/x',
      query: { 'response-content-disposition': disposition, 'response-content-type': 'application/pdf', 'x-id': 'GetObject' },
      expiresInSeconds: 60,
      date,
    });
    expect(own).toBe(expected);
  });

  it('reuses the day key but signs each request anew', async () => {
    const signer = new SigV4Presigner(credentials, 'us-east-1', { crypto: signingCrypto });
    const a = await signer.presign({ method: 'GET', url: 'http://h/b/k1', expiresInSeconds: 60, date });
    const b = await signer.presign({ method: 'GET', url: 'http://h/b/k2', expiresInSeconds: 60, date });
    const nextDay = await signer.presign({ method: 'GET', url: 'http://h/b/k1', expiresInSeconds: 60, date: new Date('2026-11-25T10:11:12Z') });
    const sig = (url: string) => new URL(url).searchParams.get('X-Amz-Signature');
    expect(new Set([sig(a), sig(b), sig(nextDay)]).size).toBe(3);
    expect(new URL(nextDay).searchParams.get('X-Amz-Credential')).toContain('/20261125/');
  });
});
