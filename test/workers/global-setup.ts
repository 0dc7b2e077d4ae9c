/**
 * Runs in Node before the workers tests: a real S3-protocol server on loopback (the embedded
 * s3rver) that the Worker inside workerd talks to, and whose presigned URLs the tests use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedS3 } from '../../src/runtime/embedded-s3.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    s3AccessKeyId: string;
    s3SecretAccessKey: string;
  }
}

export default async function setup(project: TestProject) {
  const directory = await mkdtemp(join(tmpdir(), 'dfs-workers-s3-'));
  const s3 = await startEmbeddedS3({ directory, host: '127.0.0.1', port: 0, bucket: 'dfs-workers', corsOrigins: ['*'] });
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('s3AccessKeyId', s3.accessKeyId);
  project.provide('s3SecretAccessKey', s3.secretAccessKey);
  return async () => {
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  };
}
