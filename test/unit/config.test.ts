import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/runtime/config.ts';
import { MiB } from '../../src/core/settings.ts';

const problems = (env: Record<string, string>) => {
  try {
    parseConfig(env);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
};

describe('parseConfig', () => {
  it('takes an IPv6 DFS_HOST bare or as URLs write it', () => {
    expect(parseConfig({ DFS_HOST: '[::]' }).host).toBe('::');
    expect(parseConfig({ DFS_HOST: '::1' }).host).toBe('::1');
  });

  it('defaults to the embedded setup on 127.0.0.1:8787', () => {
    const config = parseConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8787);
    expect(config.s3).toBeNull();
    expect(config.dbPath).toBe('.dfs/index.db');
    expect(config.settings.singlePutMaxBytes).toBe(16 * MiB);
    expect(config.settings.keepVersions).toBe(10);
  });

  it('reads S3 settings, with AWS_* fallbacks and path-style for custom endpoints', () => {
    const config = parseConfig({
      S3_BUCKET: 'files',
      S3_ENDPOINT: 'http://127.0.0.1:7480/',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      DFS_PART_SIZE: '8MiB',
      S3_SSE: 'AES256',
    });
    expect(config.s3).toMatchObject({
      bucket: 'files',
      endpoint: 'http://127.0.0.1:7480',
      accessKeyId: 'key',
      forcePathStyle: true,
      region: 'us-east-1',
      sse: { type: 'AES256' },
    });
    expect(config.settings.defaultPartSizeBytes).toBe(8 * MiB);
  });

  it('names the variable at fault', () => {
    expect(problems({ DFS_PORT: 'eighty' })).toMatch(/DFS_PORT/);
    expect(problems({ DFS_PART_SIZE: '1MiB' })).toMatch(/DFS_PART_SIZE/);
    expect(problems({ DFS_SINGLE_PUT_MAX: 'lots' })).toMatch(/DFS_SINGLE_PUT_MAX/);
    expect(problems({ S3_BUCKET: 'files' })).toMatch(/S3_ACCESS_KEY_ID/);
    expect(problems({ S3_ENDPOINT: 'http://x:1' })).toMatch(/S3_BUCKET/);
    expect(problems({ S3_BUCKET: 'Bad_Bucket', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' })).toMatch(/S3_BUCKET/);
    expect(problems({ DFS_TLS_CERT: 'cert.pem' })).toMatch(/DFS_TLS_KEY/);
    expect(problems({ S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', S3_SSE: 'aws:kms' })).toMatch(/S3_SSE_KMS_KEY_ID/);
    expect(problems({ DFS_ADMIN_TOKEN: 'short' })).toMatch(/DFS_ADMIN_TOKEN/);
    expect(problems({ DFS_ABORT_MULTIPART_DAYS: '0' })).toMatch(/DFS_ABORT_MULTIPART_DAYS/);
    expect(problems({ DFS_ABORT_MULTIPART_DAYS: '1.5' })).toMatch(/DFS_ABORT_MULTIPART_DAYS/);
    expect(problems({ DFS_STOP_GRACE: 'soon' })).toMatch(/DFS_STOP_GRACE/);
  });

  it('refuses one port for the API and the embedded S3 server, which would collide with itself', () => {
    expect(problems({ DFS_PORT: '8788' })).toContain('DFS_EMBEDDED_S3_PORT: must differ from DFS_PORT (both are 8788)');
    expect(problems({ DFS_EMBEDDED_S3_PORT: '8787' })).toContain('DFS_EMBEDDED_S3_PORT: must differ from DFS_PORT (both are 8787)');
    expect(problems({ PORT: '9000', DFS_EMBEDDED_S3_PORT: '9000' })).toContain('DFS_EMBEDDED_S3_PORT: must differ from PORT (both are 9000)');
    // Port 0 picks a free one each time; with a bucket there is no embedded server.
    expect(problems({ DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0' })).toBe('');
    expect(problems({ DFS_PORT: '8788', S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' })).toBe('');
  });

  it('reads the bucket setup\'s lifecycle days, 2 by default', () => {
    expect(parseConfig({}).abortMultipartDays).toBe(2);
    expect(parseConfig({ DFS_ABORT_MULTIPART_DAYS: '7' }).abortMultipartDays).toBe(7);
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ S3_BUCKET: '', DFS_PORT: '' }).s3).toBeNull();
  });
});
