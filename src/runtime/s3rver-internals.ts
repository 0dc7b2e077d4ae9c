/**
 * The parts of @20minutes/s3rver (which ships no types for them) that the embedded store's
 * additions build on: its S3 error class, its Koa middleware chain and its filesystem store.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Thrown from a handler, s3rver answers with this S3 error document and its status. */
export const S3Error = require('@20minutes/s3rver/lib/models/error') as new (code: string, message: string, detail?: object) => Error;

/** The one account s3rver signs requests for, and its keys. */
export const s3rverAccount = (require('@20minutes/s3rver/lib/models/account') as { DUMMY_ACCOUNT: S3rverAccount }).DUMMY_ACCOUNT;

interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

/** s3rver's own SigV4 check, as a middleware. */
export const authentication = require('@20minutes/s3rver/lib/middleware/authentication') as () => KoaMiddleware;

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string>;
  params: Record<string, string | undefined>;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
  get(header: string): string;
}
export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

export interface S3rverInternals {
  middleware: KoaMiddleware[];
  store: {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    /** Writes an object's or a part's bytes to `path`; resolves with their length and hex MD5. */
    putContent(path: string, content: unknown): Promise<[number, string]>;
    putObject(object: { bucket: string; key: string }): Promise<{ md5: string; size: number }>;
    existsObject(bucket: string, key: string): Promise<boolean>;
  };
}

/** Runs `handler` before s3rver's router (its last middleware), after its logging, XML and error handling. */
export function beforeRouter(server: S3rverInternals, handler: KoaMiddleware): void {
  server.middleware.splice(server.middleware.length - 1, 0, handler);
}
