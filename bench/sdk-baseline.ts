/**
 * The baseline the transfer benchmark compares dfs against: a plain script on the AWS SDK with
 * its defaults (lib-storage Upload, GetObject streamed to disk).
 * usage: sdk-baseline.ts put|get <local> <key>   |   put-dir|get-dir <local dir> <key prefix>
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [mode, local, key] = process.argv.slice(2) as [string, string, string];
const bucket = process.env.S3_BUCKET!;
const client = new S3Client({
  endpoint: process.env.S3_ENDPOINT,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  // Only so RGW accepts the SDK's streamed bodies; every other setting is the default.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

const put = (file: string, objectKey: string) => new Upload({ client, params: { Bucket: bucket, Key: objectKey, Body: createReadStream(file) } }).done();
const get = async (objectKey: string, file: string) => {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
  await pipeline(response.Body as Readable, createWriteStream(file));
};

if (mode === 'put') await put(local, key);
else if (mode === 'get') await get(key, local);
else if (mode === 'put-dir') {
  const names = await readdir(local);
  await Promise.all(names.map((name) => put(join(local, name), `${key}/${name}`)));
} else if (mode === 'get-dir') {
  await mkdir(local, { recursive: true });
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  await Promise.all(keys.map((k) => get(k, join(local, k.slice(key.length + 1)))));
}
