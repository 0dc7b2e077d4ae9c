/** Bindings the workers tests see, as declared in test/workers/vitest.config.ts. */
import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      TEST_MIGRATIONS: D1Migration[];
      DFS_ADMIN_TOKEN: string;
      S3_ENDPOINT: string;
      S3_ACCESS_KEY_ID: string;
      S3_SECRET_ACCESS_KEY: string;
    }
  }
}
