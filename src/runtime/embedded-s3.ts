/**
 * The embedded default's object store: @20minutes/s3rver in this process, storing under a
 * local directory. It speaks the S3 protocol, refuses unsigned requests and s3rver's public
 * built-in key (it has a random key pair of its own), enforces SigV4 presigned URLs, refuses
 * bytes that do not match their Content-MD5 and honours If-None-Match on PUT, so the API works
 * exactly as it does against a real store.
 */
import S3rver from '@20minutes/s3rver';
import { createServer, type AddressInfo } from 'node:net';
import { corsXml } from '../store/bucket-policy.ts';
import { checkPuts } from './embedded-s3-put-checks.ts';
import { drainable } from './graceful-close.ts';
import { randomCredentials, type S3Credentials } from './embedded-s3-credentials.ts';
import { addMultipartListAndAbort } from './embedded-s3-multipart.ts';
import { listenRefused } from './listen-errors.ts';
import { refuseUnsigned } from './embedded-s3-signed-only.ts';
import { s3rverAccount } from './s3rver-internals.ts';
import { urlHost } from './url-host.ts';

export interface EmbeddedS3Options {
  directory: string;
  /** The address to listen on. */
  host: string;
  port: number;
  bucket: string;
  corsOrigins: string[];
  /** The key pair requests must be signed with; a random one when left out. */
  credentials?: S3Credentials;
}

export interface EmbeddedS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Stops; requests under way may finish until `deadline` (without one, however long they take). */
  close(deadline?: AbortSignal): Promise<void>;
}

/** s3rver's built-in key: public, so never accepted. */
const PUBLIC_KEY_ID = 'S3RVER';

/**
 * s3rver listens without an 'error' handler: a port in use (or a host it cannot bind) would end
 * the process with an unhandled event and a stack trace instead of one line naming the setting.
 */
async function ensurePortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(listenRefused(error, { who: 'the embedded S3 server', host, port, portVariable: 'DFS_EMBEDDED_S3_PORT' })));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const credentials = options.credentials ?? randomCredentials();
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [corsXml(options.corsOrigins)] }],
  });
  // First: the layers after it take every request they see to be signed.
  refuseUnsigned(server);
  addMultipartListAndAbort(server);
  checkPuts(server);
  await ensurePortFree(options.host, options.port);
  s3rverAccount.revokeAccessKey(PUBLIC_KEY_ID);
  s3rverAccount.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  const address = (await server.run()) as AddressInfo;
  const drain = drainable(server.httpServer);
  return {
    endpoint: `http://${urlHost(options.host)}:${address.port}`,
    region: 'us-east-1',
    ...credentials,
    bucket: options.bucket,
    close: async (deadline) => {
      await drain(deadline);
      s3rverAccount.revokeAccessKey(credentials.accessKeyId);
    },
  };
}
