/**
 * Presigning cost on this machine: the AWS SDK's getSignedUrl against the project's own
 * SigV4 presigner (WebCrypto, day key cached), for the same PUT. No network involved.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { nodeSigningCrypto } from '../src/store/node-signing-crypto.ts';
import { SigV4Presigner } from '../src/store/sigv4-presigner.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const client = new S3Client({
  endpoint: 'http://127.0.0.1:7480',
  region: 'us-east-1',
  forcePathStyle: true,
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
});
const web = new SigV4Presigner(credentials, 'us-east-1');
const node = new SigV4Presigner(credentials, 'us-east-1', { crypto: nodeSigningCrypto });

async function measure(name: string, count: number, sign: (i: number) => Promise<string>) {
  for (let i = 0; i < 200; i++) await sign(i);
  const started = performance.now();
  for (let i = 0; i < count; i++) await sign(i);
  const ms = performance.now() - started;
  console.log(`${name}: ${((count / ms) * 1000).toFixed(0)} URLs/s (${((ms / count) * 1000).toFixed(1)} µs per URL)`);
  return (count / ms) * 1000;
}

const sdkRate = await measure('@aws-sdk/s3-request-presigner', 5_000, (i) =>
  getSignedUrl(client, new PutObjectCommand({ Bucket: 'dfs', Key: `o/${i}`, ContentType: 'application/octet-stream', ContentLength: 1024 }), {
    expiresIn: 3600,
    signableHeaders: new Set(['content-type', 'content-length']),
  }),
);
const request = (i: number) => ({
  method: 'PUT' as const,
  url: `http://127.0.0.1:7480/dfs/o/${i}`,
  headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '1024' },
  query: { 'x-id': 'PutObject' },
  expiresInSeconds: 3600,
});
const webRate = await measure('own presigner, WebCrypto (as on Workers)', 20_000, (i) => web.presign(request(i)));
const nodeRate = await measure('own presigner, node:crypto (as on Node)', 100_000, (i) => node.presign(request(i)));
console.log(`speed-up over the SDK: WebCrypto ${(webRate / sdkRate).toFixed(1)}x, node:crypto ${(nodeRate / sdkRate).toFixed(1)}x`);
