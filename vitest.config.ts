import { defineConfig } from 'vitest/config';

// test/ceph holds what only a real S3 server can show (bucket configuration the embedded one
// does not take through the S3 API): it runs with DFS_TEST_S3=ceph, as CI runs it.
const onCeph = process.env.DFS_TEST_S3 === 'ceph' ? ['test/ceph/**/*.test.ts'] : [];

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/e2e/**/*.test.ts', ...onCeph],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
