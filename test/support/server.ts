/**
 * A real dfs server for tests: the Node runtime on a random port, a real SQLite file in a
 * temp dir, and the S3 target the environment selects (in-process s3rver or Ceph RGW).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../src/runtime/config.ts';
import { startServer, type RunningServer } from '../../src/runtime/node.ts';
import { startEmbeddedTarget, startS3Target, type S3Target } from './s3-target.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface TestServer extends RunningServer {
  adminToken: string;
  s3: S3Target;
  dataDir: string;
  /** With `storeBehindProxy`: the proxy every request to the store (the server's and presigned ones) goes through. */
  storeProxy: TcpProxy | null;
}

/**
 * `storeBehindProxy` puts a proxy the test can cut between the store and everyone else;
 * `embeddedStore` uses the embedded S3 server even when the environment selects Ceph.
 */
export async function startTestServer(options: { env?: Env; storeBehindProxy?: boolean; embeddedStore?: boolean } = {}): Promise<TestServer> {
  const s3 = options.embeddedStore ? await startEmbeddedTarget() : await startS3Target();
  const storeProxy = options.storeBehindProxy ? await startTcpProxy(s3.endpoint) : null;
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-test-'));
  const adminToken = `admin-${crypto.randomUUID()}`;
  try {
    const server = await startServer({
      env: {
        DFS_HOST: '127.0.0.1',
        DFS_PORT: '0',
        DFS_DATA_DIR: dataDir,
        DFS_ADMIN_TOKEN: adminToken,
        DFS_LOG: 'off',
        DFS_CLEANUP_INTERVAL: '0',
        S3_ENDPOINT: storeProxy?.url ?? s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
        S3_DIALECT: s3.kind === 'ceph' ? 's3' : 's3rver',
        ...options.env,
      },
    });
    return {
      ...server,
      adminToken,
      s3,
      dataDir,
      storeProxy,
      async close() {
        await server.close();
        await storeProxy?.close();
        await s3.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await storeProxy?.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
