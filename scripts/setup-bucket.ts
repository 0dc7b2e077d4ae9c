/**
 * `npm run setup:bucket [-- --create]`: prepares any S3-compatible bucket for dfs from the
 * same S3_* variables the server reads: CORS, so browsers can PUT parts and read ETags, and
 * a lifecycle rule that aborts multipart uploads nobody finished.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../src/runtime/config.ts';
import { corsRules, lifecycleRules } from '../src/store/bucket-policy.ts';

const { values } = parseArgs({ options: { create: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`usage: npm run setup:bucket [-- --create]

Reads S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (or AWS_*),
S3_FORCE_PATH_STYLE, and:
  DFS_CORS_ORIGINS           origins allowed to upload from browsers (default *)
  DFS_ABORT_MULTIPART_DAYS   abort unfinished multipart uploads after this many days (default 2)
--create creates the bucket first if it does not exist.`);
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
  await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: corsRules(origins) } }));
  const cors = await client.send(new GetBucketCorsCommand({ Bucket: bucket }));
  console.log(`CORS on ${bucket}: origins ${cors.CORSRules?.[0]?.AllowedOrigins?.join(', ')}; methods GET, PUT, HEAD; ETag exposed`);
  await client.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: lifecycleRules(days) } }),
  );
  console.log(`lifecycle on ${bucket}: abort incomplete multipart uploads after ${days} days`);
} catch (error) {
  console.error(`setup:bucket: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
