/**
 * `npm run setup:bucket` against Ceph (the embedded server takes no bucket configuration through
 * the S3 API, so these run only with DFS_TEST_S3=ceph): dfs's CORS and lifecycle rules go in
 * beside the rules other applications keep on the bucket, and a second run replaces dfs's own
 * instead of adding more.
 */
import { GetBucketCorsCommand, GetBucketLifecycleConfigurationCommand, PutBucketCorsCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsRules } from '../../src/store/bucket-policy.ts';
import { startCephBucket, type S3Target } from '../support/s3-target.ts';

const run = promisify(execFile);
let target: S3Target;
let client: S3Client;

beforeAll(async () => {
  target = await startCephBucket();
  client = new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client.destroy();
  await target.close();
});

const setUp = (keyPrefix = 'dfs/', origins = 'https://files.example') =>
  run(process.execPath, ['scripts/setup-bucket.ts'], {
    env: {
      ...process.env,
      S3_ENDPOINT: target.endpoint,
      S3_REGION: target.region,
      S3_BUCKET: target.bucket,
      S3_ACCESS_KEY_ID: target.accessKeyId,
      S3_SECRET_ACCESS_KEY: target.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: keyPrefix,
      DFS_CORS_ORIGINS: origins,
      DFS_ABORT_MULTIPART_DAYS: '3',
    },
  });

describe('npm run setup:bucket', () => {
  it('adds dfs rules beside the bucket’s other rules, and replaces only its own when run again', async () => {
    await client.send(
      new PutBucketCorsCommand({
        Bucket: target.bucket,
        CORSConfiguration: {
          CORSRules: [
            { ID: 'other-app', AllowedOrigins: ['https://other.example'], AllowedMethods: ['GET'] },
            // The rule of a setup by an earlier version, which gave it no ID.
            { ...corsRules(['*'])[0]!, ID: undefined },
          ],
        },
      }),
    );
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: target.bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'other-expiry', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
            // The rule an earlier version wrote for this prefix, before IDs named it.
            { ID: 'dfs-abort-incomplete-multipart', Status: 'Enabled', Filter: { Prefix: 'dfs/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 9 } },
          ],
        },
      }),
    );

    await setUp();
    const second = await setUp();

    const cors = (await client.send(new GetBucketCorsCommand({ Bucket: target.bucket }))).CORSRules ?? [];
    expect(cors.map((rule) => [rule.ID, rule.AllowedOrigins])).toEqual([
      ['dfs:dfs/', ['https://files.example']],
      ['other-app', ['https://other.example']],
    ]);
    expect(cors[0]!.AllowedMethods!.toSorted()).toEqual(['GET', 'HEAD', 'PUT']);
    const rules = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: target.bucket }))).Rules ?? [];
    // Ceph answers the rules in an order of its own.
    expect(rules.map((rule) => [rule.ID, rule.Filter?.Prefix]).toSorted()).toEqual([
      ['dfs-abort-incomplete-multipart:dfs/', 'dfs/'],
      ['other-expiry', 'logs/'],
    ]);
    expect(rules.find((rule) => rule.ID === 'dfs-abort-incomplete-multipart:dfs/')!.AbortIncompleteMultipartUpload?.DaysAfterInitiation).toBe(3);
    expect(second.stdout).toContain('ETag exposed (1 other rule(s) kept)');
    expect(second.stdout).toContain('abort incomplete multipart uploads under dfs/ after 3 days (1 other rule(s) kept)');

    // A second dfs on the same bucket under another prefix adds its rules beside the first's.
    await setUp('staging/', 'https://staging.example');
    const both = (await client.send(new GetBucketCorsCommand({ Bucket: target.bucket }))).CORSRules ?? [];
    expect(both.map((rule) => [rule.ID, rule.AllowedOrigins])).toEqual([
      ['dfs:staging/', ['https://staging.example']],
      ['dfs:dfs/', ['https://files.example']],
      ['other-app', ['https://other.example']],
    ]);
    const lifecycles = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: target.bucket }))).Rules ?? [];
    expect(lifecycles.map((rule) => [rule.ID, rule.Filter?.Prefix]).toSorted()).toEqual([
      ['dfs-abort-incomplete-multipart:dfs/', 'dfs/'],
      ['dfs-abort-incomplete-multipart:staging/', 'staging/'],
      ['other-expiry', 'logs/'],
    ]);
  });
});
