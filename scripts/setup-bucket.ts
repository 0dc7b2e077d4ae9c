/**
 * `npm run setup:bucket [-- --create]`: prepares any S3-compatible bucket for dfs from the
 * same S3_* variables the server reads: CORS, so browsers can PUT parts and read ETags, and
 * a lifecycle rule that aborts multipart uploads nobody finished. The bucket's other rules
 * stay: dfs's own are found by their IDs (or, for the CORS rule of earlier versions, which
 * had none, by its shape) and replaced, and go first, so they decide for dfs's origins. A store that does not take one of the
 * two (community MinIO takes neither) is told of, and set up on its server instead.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../src/runtime/config.ts';
import { corsRules, isEarlierLifecycleRule, isUnnamedDfsCorsRule, isUnprefixedDfsCorsRule, lifecycleRules, withOwnRules } from '../src/store/bucket-policy.ts';
import { s3ErrorName } from '../src/store/s3-object-store.ts';

/** The rules a bucket holds, none when it has no such configuration yet. */
async function rulesOf<Rule>(read: () => Promise<Rule[] | undefined>, missing: string): Promise<Rule[]> {
  return read().then(
    (rules) => rules ?? [],
    (error: unknown) => {
      if (s3ErrorName(error) === missing) return [];
      throw error;
    },
  );
}

/** Runs `apply`; a store that does not implement it gets `instead` said, and the rest goes on. */
async function unlessNotImplemented(apply: () => Promise<void>, instead: string): Promise<void> {
  try {
    await apply();
  } catch (error) {
    if (s3ErrorName(error) !== 'NotImplemented') throw error;
    console.error(`setup:bucket: ${instead}`);
  }
}

const { values } = parseArgs({ options: { create: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`usage: npm run setup:bucket [-- --create]

Reads S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (or AWS_*),
S3_FORCE_PATH_STYLE, and:
  DFS_CORS_ORIGINS           origins allowed to upload from browsers (default *)
  DFS_ABORT_MULTIPART_DAYS   abort unfinished multipart uploads after this many days (default 2)
  S3_KEY_PREFIX              the lifecycle rule covers only keys under it
--create creates the bucket first if it does not exist. Rules of other applications on the
bucket are kept; dfs's own are replaced. Rules are named after S3_KEY_PREFIX, so dfs setups
sharing a bucket under different prefixes keep each other's.`);
  process.exit(0);
}

try {
  const config = parseConfig(process.env);
  if (!config.s3) throw new ConfigError(['S3_BUCKET: required (the bucket to set up)']);
  const days = config.abortMultipartDays;
  const origins = config.corsOrigins.length > 0 ? config.corsOrigins : ['*'];
  const { bucket } = config.s3;
  const client = new S3Client({
    endpoint: config.s3.endpoint,
    region: config.s3.region,
    forcePathStyle: config.s3.forcePathStyle,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey, sessionToken: config.s3.sessionToken },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const exists = await client.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    (error: { $metadata?: { httpStatusCode?: number } }) => {
      if (error.$metadata?.httpStatusCode === 404) return false;
      throw error;
    },
  );
  if (!exists) {
    if (!values.create) throw new Error(`bucket "${bucket}" does not exist (pass --create to create it)`);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`created bucket ${bucket}`);
  }
  // Two dfs setups may share a bucket under different S3_KEY_PREFIX: each has rules of its own.
  const prefix = config.s3.keyPrefix ?? '';
  await unlessNotImplemented(async () => {
    const existing = await rulesOf(async () => (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules, 'NoSuchCORSConfiguration');
    const rules = withOwnRules(existing, corsRules(origins, prefix), isUnnamedDfsCorsRule);
    await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
    console.log(`CORS on ${bucket}: origins ${origins.join(', ')}; methods GET, PUT, HEAD; ETag exposed (${rules.length - 1} other rule(s) kept)`);
    if (prefix !== '' && rules.some(isUnprefixedDfsCorsRule)) {
      console.log(`  kept the rule "dfs" (origins ${rules.find(isUnprefixedDfsCorsRule)!.AllowedOrigins?.join(', ')}): a dfs without S3_KEY_PREFIX, or an earlier setup of this one; remove it if it is the latter`);
    }
  }, `this store does not take CORS rules through the S3 API: allow ${origins.join(', ')} on its server (MinIO: MINIO_API_CORS_ALLOW_ORIGIN)`);
  await unlessNotImplemented(async () => {
    const existing = await rulesOf(async () => (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules, 'NoSuchLifecycleConfiguration');
    const rules = withOwnRules(existing, lifecycleRules(days, prefix), isEarlierLifecycleRule(prefix));
    await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
    console.log(`lifecycle on ${bucket}: abort incomplete multipart uploads${prefix ? ` under ${prefix}` : ''} after ${days} days (${rules.length - 1} other rule(s) kept)`);
  }, `this store does not take lifecycle rules through the S3 API: have it drop unfinished multipart uploads after ${days} days on its server (MinIO: MINIO_API_STALE_UPLOADS_EXPIRY=${days * 24}h)`);
} catch (error) {
  console.error(`setup:bucket: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
