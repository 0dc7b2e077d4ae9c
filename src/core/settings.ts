/** Tunables of the domain, validated by the runtime and passed in. Durations in seconds. */
export interface DfsSettings {
  /** Uploads up to this size use one presigned PUT; larger ones use multipart. */
  singlePutMaxBytes: number;
  /** Default part size for multipart uploads. */
  defaultPartSizeBytes: number;
  /** Largest file accepted. */
  maxFileBytes: number;
  /** Lifetime of every presigned URL. */
  urlExpiresSeconds: number;
  /** How long an upload may stay open before cleanup aborts it. */
  uploadExpiresSeconds: number;
  /** How many part URLs `create` signs up front. */
  initialPartUrls: number;
  /** Versions kept per path, the current one included. */
  keepVersions: number;
  /** Days a replaced or deleted version is kept. */
  keepDays: number;
  /** Extra time before cleanup touches an expired upload or an unreferenced object. */
  cleanupGraceSeconds: number;
  /** Default and maximum lifetime of share links. */
  shareDefaultSeconds: number;
  shareMaxSeconds: number;
  /** Public base URL of the API, used to build share links (no trailing slash); null: the origin of the request making the link. */
  publicUrl: string | null;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** S3's multipart limits. */
export const S3_MIN_PART = 5 * MiB;
export const S3_MAX_PART = 5 * GiB;
export const S3_MAX_PARTS = 10_000;
export const S3_MAX_OBJECT = 5 * TiB;
export const S3_MAX_SINGLE_PUT = 5 * GiB;

export const DEFAULT_SETTINGS: DfsSettings = {
  singlePutMaxBytes: 16 * MiB,
  defaultPartSizeBytes: 16 * MiB,
  maxFileBytes: S3_MAX_OBJECT,
  urlExpiresSeconds: 3600,
  uploadExpiresSeconds: 24 * 3600,
  initialPartUrls: 10,
  keepVersions: 10,
  keepDays: 30,
  cleanupGraceSeconds: 3600,
  shareDefaultSeconds: 7 * 24 * 3600,
  shareMaxSeconds: 365 * 24 * 3600,
  publicUrl: null,
};
