/**
 * The S3-protocol server integration tests run against: the in-process s3rver by default,
 * Ceph RADOS Gateway when DFS_TEST_S3=ceph (started by scripts/ceph/start.sh, which writes
 * its endpoint and keys to $RGW_DIR/s3.env). Each target gets its own bucket.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3 } from '../../src/runtime/embedded-s3.ts';
import { corsRules } from '../../src/store/bucket-policy.ts';

export interface S3Target {
  kind: 's3rver' | 'ceph';
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  forcePathStyle: true;
  close(): Promise<void>;
}

export async function startS3Target(): Promise<S3Target> {
  return process.env.DFS_TEST_S3 === 'ceph' ? startCephBucket() : startEmbeddedTarget();
}

/** The embedded S3 server, whatever the environment selects: for what only it is expected to do. */
export async function startEmbeddedTarget(): Promise<S3Target> {
  const directory = await mkdtemp(join(tmpdir(), 'dfs-s3rver-'));
  const server = await startEmbeddedS3({ directory, host: '127.0.0.1', port: 0, bucket: 'dfs-test', corsOrigins: ['*'] });
  return {
    kind: 's3rver',
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    bucket: server.bucket,
    forcePathStyle: true,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function cephEnv(): Promise<Record<string, string>> {
  const fromFile: Record<string, string> = {};
  const file = join(process.env.RGW_DIR ?? '/tmp/dfs-ceph', 's3.env');
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) fromFile[match[1]!] = match[2]!;
  }
  const pick = (name: string) => {
    const value = process.env[name] ?? fromFile[name];
    if (!value) throw new Error(`DFS_TEST_S3=ceph needs ${name} (run scripts/ceph/start.sh, which writes ${file})`);
    return value;
  };
  return {
    endpoint: pick('S3_ENDPOINT'),
    region: process.env.AWS_REGION ?? fromFile.AWS_REGION ?? 'us-east-1',
    accessKeyId: pick('AWS_ACCESS_KEY_ID'),
    secretAccessKey: pick('AWS_SECRET_ACCESS_KEY'),
  };
}

/** A fresh bucket on the Ceph that scripts/ceph/start.sh runs; `close` empties and deletes it. */
export async function startCephBucket(): Promise<S3Target> {
  const env = await cephEnv();
  const client = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId!, secretAccessKey: env.secretAccessKey! },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `dfs-test-${crypto.randomUUID().slice(0, 13)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: corsRules(['*']) } }));
  return {
    kind: 'ceph',
    endpoint: env.endpoint!,
    region: env.region!,
    accessKeyId: env.accessKeyId!,
    secretAccessKey: env.secretAccessKey!,
    bucket,
    forcePathStyle: true,
    async close() {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
  }
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
