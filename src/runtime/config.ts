/**
 * Configuration from environment variables, validated once at start. Shared by the Node and
 * Workers entry points; every message names the variable at fault.
 */
import { z } from 'zod';
import type { S3StoreConfig } from '../store/s3-object-store.ts';
import { DEFAULT_SETTINGS, GiB, MiB, S3_MAX_OBJECT, S3_MAX_SINGLE_PUT, S3_MIN_PART, type DfsSettings } from '../core/settings.ts';

export type Env = Record<string, string | undefined>;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: MiB, mb: MiB, mib: MiB, g: GiB, gb: GiB, gib: GiB, t: 1024 * GiB, tb: 1024 * GiB, tib: 1024 * GiB };

/** Bytes as a whole number, optionally with a binary unit: "16MiB", "8m", "1048576". */
const bytes = z.string().transform((raw, ctx) => {
  const match = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(raw);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${raw}" is not a size (use bytes or a unit such as 16MiB)` });
    return z.NEVER;
  }
  return Number(match[1]) * unit;
});

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const flag = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((s) => s === 'true' || s === '1' || s === 'yes');

const url = z.string().url('must be a URL such as https://host:port').transform((s) => s.replace(/\/+$/, ''));
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const EnvSchema = z.object({
  // An IPv6 address may come as it is written in URLs ([::1]); listen() wants it bare.
  DFS_HOST: z
    .string()
    .min(1)
    .transform((host) => host.replace(/^\[(.+)\]$/, '$1'))
    .default('127.0.0.1'),
  DFS_PORT: wholeNumber(0, 65535).optional(),
  PORT: wholeNumber(0, 65535).optional(),
  DFS_PUBLIC_URL: url.optional(),
  DFS_DATA_DIR: z.string().min(1).default('.dfs'),
  DFS_DB_PATH: z.string().min(1).optional(),
  DFS_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DFS_TLS_CERT: z.string().min(1).optional(),
  DFS_TLS_KEY: z.string().min(1).optional(),
  DFS_CORS_ORIGINS: list.optional(),
  DFS_LOG: z.enum(['json', 'off']).default('json'),
  DFS_URL_EXPIRES: wholeNumber(1, 7 * 86400).default(DEFAULT_SETTINGS.urlExpiresSeconds),
  DFS_UPLOAD_EXPIRES: wholeNumber(1, 30 * 86400).default(DEFAULT_SETTINGS.uploadExpiresSeconds),
  DFS_SINGLE_PUT_MAX: bytes.pipe(z.number().min(0).max(S3_MAX_SINGLE_PUT)).default(DEFAULT_SETTINGS.singlePutMaxBytes),
  DFS_PART_SIZE: bytes.pipe(z.number().min(S3_MIN_PART).max(S3_MAX_SINGLE_PUT)).default(DEFAULT_SETTINGS.defaultPartSizeBytes),
  DFS_MAX_FILE_SIZE: bytes.pipe(z.number().min(0).max(S3_MAX_OBJECT)).default(DEFAULT_SETTINGS.maxFileBytes),
  DFS_KEEP_VERSIONS: wholeNumber(1, 10000).default(DEFAULT_SETTINGS.keepVersions),
  DFS_KEEP_DAYS: wholeNumber(0, 36500).default(DEFAULT_SETTINGS.keepDays),
  DFS_CLEANUP_INTERVAL: wholeNumber(0, 86400).default(300),
  DFS_CLEANUP_GRACE: wholeNumber(0, 7 * 86400).default(DEFAULT_SETTINGS.cleanupGraceSeconds),
  DFS_SHARE_EXPIRES: wholeNumber(60, DEFAULT_SETTINGS.shareMaxSeconds).default(DEFAULT_SETTINGS.shareDefaultSeconds),
  DFS_EMBEDDED_S3_PORT: wholeNumber(0, 65535).default(8788),
  DFS_STOP_GRACE: wholeNumber(0, 3600).default(10),
  DFS_ABORT_MULTIPART_DAYS: wholeNumber(1, 36500).default(2),
  S3_ENDPOINT: url.optional(),
  S3_PUBLIC_ENDPOINT: url.optional(),
  S3_REGION: z.string().min(1).optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name').optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_SESSION_TOKEN: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: flag.optional(),
  S3_KEY_PREFIX: z.string().regex(/^[^/].*\/$/, 'must end with "/" and not start with it').optional(),
  S3_SSE: z.enum(['AES256', 'aws:kms']).optional(),
  S3_SSE_KMS_KEY_ID: z.string().min(1).optional(),
  S3_DIALECT: z.enum(['s3', 's3rver']).optional(),
  S3_TIMEOUT: wholeNumber(1, 3600).default(30),
  AWS_REGION: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
});

/** Every variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** The store settings the environment gives; the runtime adds how to sign. */
export type S3Config = Omit<S3StoreConfig, 'signingCrypto'>;

export interface Config {
  host: string;
  port: number;
  /** Set when the Node server serves HTTPS itself. */
  tls: { certFile: string; keyFile: string } | null;
  dataDir: string;
  dbPath: string;
  adminToken: string | null;
  corsOrigins: string[];
  log: boolean;
  cleanupIntervalSeconds: number;
  /** Node: seconds requests under way may take to finish once a stop signal came. */
  stopGraceSeconds: number;
  embeddedS3Port: number;
  /** S3_PUBLIC_ENDPOINT without S3_BUCKET: the embedded store's address in presigned URLs, for clients on other machines. */
  embeddedS3PublicEndpoint: string | null;
  /** For `npm run setup:bucket`: the lifecycle rule's days before unfinished multipart uploads go. */
  abortMultipartDays: number;
  /** Null: start the embedded S3 server (Node only). */
  s3: S3Config | null;
  /** Node: seconds a call to the store may take to connect, or stay silent, before it fails. */
  storeTimeoutSeconds: number;
  settings: DfsSettings;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables that are set but empty count as unset, as shells make that easy. */
const present = (env: Env) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

export function parseConfig(env: Env): Config {
  const parsed = EnvSchema.safeParse(present(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.DFS_TLS_CERT === undefined) !== (e.DFS_TLS_KEY === undefined)) problems.push('DFS_TLS_CERT and DFS_TLS_KEY must be set together');
  if (e.S3_SSE === 'aws:kms' && !e.S3_SSE_KMS_KEY_ID) problems.push('S3_SSE_KMS_KEY_ID: required when S3_SSE is aws:kms');
  if (e.DFS_SINGLE_PUT_MAX > e.DFS_MAX_FILE_SIZE) problems.push('DFS_SINGLE_PUT_MAX: must not exceed DFS_MAX_FILE_SIZE');
  const s3 = s3Config(e, problems);
  const port = e.DFS_PORT ?? e.PORT ?? 8787;
  if (e.S3_BUCKET === undefined && port !== 0 && port === e.DFS_EMBEDDED_S3_PORT) {
    problems.push(`DFS_EMBEDDED_S3_PORT: must differ from ${e.DFS_PORT === undefined && e.PORT !== undefined ? 'PORT' : 'DFS_PORT'} (both are ${port})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const tls = e.DFS_TLS_CERT && e.DFS_TLS_KEY ? { certFile: e.DFS_TLS_CERT, keyFile: e.DFS_TLS_KEY } : null;
  return {
    host: e.DFS_HOST,
    port,
    tls,
    dataDir: e.DFS_DATA_DIR,
    dbPath: e.DFS_DB_PATH ?? `${e.DFS_DATA_DIR}/index.db`,
    adminToken: e.DFS_ADMIN_TOKEN ?? null,
    corsOrigins: e.DFS_CORS_ORIGINS ?? [],
    log: e.DFS_LOG === 'json',
    cleanupIntervalSeconds: e.DFS_CLEANUP_INTERVAL,
    stopGraceSeconds: e.DFS_STOP_GRACE,
    embeddedS3Port: e.DFS_EMBEDDED_S3_PORT,
    embeddedS3PublicEndpoint: s3 === null ? (e.S3_PUBLIC_ENDPOINT ?? null) : null,
    abortMultipartDays: e.DFS_ABORT_MULTIPART_DAYS,
    s3,
    storeTimeoutSeconds: e.S3_TIMEOUT,
    settings: {
      singlePutMaxBytes: e.DFS_SINGLE_PUT_MAX,
      defaultPartSizeBytes: e.DFS_PART_SIZE,
      maxFileBytes: e.DFS_MAX_FILE_SIZE,
      urlExpiresSeconds: e.DFS_URL_EXPIRES,
      uploadExpiresSeconds: e.DFS_UPLOAD_EXPIRES,
      initialPartUrls: DEFAULT_SETTINGS.initialPartUrls,
      keepVersions: e.DFS_KEEP_VERSIONS,
      keepDays: e.DFS_KEEP_DAYS,
      cleanupGraceSeconds: e.DFS_CLEANUP_GRACE,
      shareDefaultSeconds: e.DFS_SHARE_EXPIRES,
      shareMaxSeconds: DEFAULT_SETTINGS.shareMaxSeconds,
      publicUrl: e.DFS_PUBLIC_URL ?? null,
    },
  };
}

type ParsedEnv = z.infer<typeof EnvSchema>;

/** S3 counts as configured once S3_BUCKET is set; then the keys are required too. */
function s3Config(e: ParsedEnv, problems: string[]): S3Config | null {
  if (e.S3_BUCKET === undefined) {
    for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (e[name] !== undefined) problems.push(`S3_BUCKET: required when ${name} is set`);
    }
    return null;
  }
  const accessKeyId = e.S3_ACCESS_KEY_ID ?? e.AWS_ACCESS_KEY_ID;
  const secretAccessKey = e.S3_SECRET_ACCESS_KEY ?? e.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId) problems.push('S3_ACCESS_KEY_ID: required when S3_BUCKET is set (or AWS_ACCESS_KEY_ID)');
  if (!secretAccessKey) problems.push('S3_SECRET_ACCESS_KEY: required when S3_BUCKET is set (or AWS_SECRET_ACCESS_KEY)');
  if (!accessKeyId || !secretAccessKey) return null;
  const sessionToken = e.S3_SESSION_TOKEN ?? e.AWS_SESSION_TOKEN;
  return {
    endpoint: e.S3_ENDPOINT,
    publicEndpoint: e.S3_PUBLIC_ENDPOINT,
    region: e.S3_REGION ?? e.AWS_REGION ?? 'us-east-1',
    bucket: e.S3_BUCKET,
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    // Custom endpoints (MinIO, Ceph, R2) want path-style; AWS itself prefers virtual-hosted.
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
    ...(e.S3_KEY_PREFIX ? { keyPrefix: e.S3_KEY_PREFIX } : {}),
    ...(e.S3_DIALECT ? { dialect: e.S3_DIALECT } : {}),
    ...(e.S3_SSE ? { sse: { type: e.S3_SSE, ...(e.S3_SSE_KMS_KEY_ID ? { kmsKeyId: e.S3_SSE_KMS_KEY_ID } : {}) } } : {}),
  };
}
