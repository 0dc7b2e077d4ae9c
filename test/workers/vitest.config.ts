import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export const ADMIN_TOKEN = 'workers-test-admin-token-0123456789';

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      main: fileURLToPath(new URL('../../src/runtime/worker.ts', import.meta.url)),
      miniflare: {
        compatibilityDate: '2026-08-15',
        compatibilityFlags: ['nodejs_compat'],
        d1Databases: ['DB'],
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('../../infra/migrations', import.meta.url))),
          DFS_ADMIN_TOKEN: ADMIN_TOKEN,
          DFS_LOG: 'off',
          DFS_UPLOAD_EXPIRES: '8',
          DFS_CLEANUP_GRACE: '0',
          DFS_URL_EXPIRES: '600',
          S3_ENDPOINT: inject('s3Endpoint'),
          S3_REGION: 'us-east-1',
          S3_BUCKET: 'dfs-workers',
          S3_ACCESS_KEY_ID: inject('s3AccessKeyId'),
          S3_SECRET_ACCESS_KEY: inject('s3SecretAccessKey'),
          S3_FORCE_PATH_STYLE: 'true',
          S3_DIALECT: 's3rver',
        },
      },
    })),
  ],
  test: {
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/workers/global-setup.ts'],
    setupFiles: ['test/workers/apply-migrations.ts'],
    testTimeout: 60_000,
  },
});
