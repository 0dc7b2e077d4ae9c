/**
 * What a dfs bucket needs besides objects, in one place for the embedded server and for
 * `npm run setup:bucket`: CORS so browsers can PUT parts and read ETags, and a lifecycle rule
 * so multipart uploads nobody completes or aborts stop costing storage.
 */
import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

const CORS_ID = 'dfs';
const LIFECYCLE_ID = 'dfs-abort-incomplete-multipart';

/**
 * A rule's ID for the dfs whose keys lie under `keyPrefix`: two dfs setups sharing a bucket
 * through S3_KEY_PREFIX each keep their own rules. IDs hold at most 255 bytes (MinIO and Ceph
 * count bytes, not characters).
 */
function ruleId(base: string, keyPrefix: string): string {
  if (keyPrefix === '') return base;
  const id = `${base}:${keyPrefix}`;
  return Buffer.byteLength(id) <= 255 ? id : `${base}:sha256:${createHash('sha256').update(keyPrefix).digest('hex')}`;
}

/** `keyPrefix`: the S3_KEY_PREFIX of the dfs whose rule this is, which names it. */
export function corsRules(origins: string[], keyPrefix = ''): CORSRule[] {
  return [
    {
      ID: ruleId(CORS_ID, keyPrefix),
      AllowedOrigins: origins.length > 0 ? origins : ['*'],
      AllowedMethods: ['GET', 'PUT', 'HEAD'],
      AllowedHeaders: ['*'],
      ExposeHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Content-Disposition'],
      MaxAgeSeconds: 3600,
    },
  ];
}

/** The same rules as S3's XML document, for servers configured without the API. */
export function corsXml(origins: string[]): string {
  const rules = corsRules(origins)
    .map((rule) =>
      [
        '<CORSRule>',
        ...rule.AllowedOrigins!.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`),
        ...rule.AllowedMethods!.map((m) => `<AllowedMethod>${m}</AllowedMethod>`),
        ...rule.AllowedHeaders!.map((h) => `<AllowedHeader>${h}</AllowedHeader>`),
        ...rule.ExposeHeaders!.map((h) => `<ExposeHeader>${h}</ExposeHeader>`),
        `<MaxAgeSeconds>${rule.MaxAgeSeconds}</MaxAgeSeconds>`,
        '</CORSRule>',
      ].join(''),
    )
    .join('');
  return `<CORSConfiguration>${rules}</CORSConfiguration>`;
}

/** `keyPrefix`: on a bucket shared through S3_KEY_PREFIX, only dfs's own uploads are aborted. */
export function lifecycleRules(abortMultipartAfterDays: number, keyPrefix: string): LifecycleRule[] {
  return [
    {
      ID: ruleId(LIFECYCLE_ID, keyPrefix),
      Status: 'Enabled',
      Filter: { Prefix: keyPrefix },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortMultipartAfterDays },
    },
  ];
}

/**
 * A bucket's `existing` rules with dfs's own replaced by `ours`, first: a bucket shared with
 * other applications keeps their rules, and setting up twice adds nothing. dfs's own carry its
 * IDs, or are `alsoOwn` (rules it wrote under IDs of earlier versions).
 */
export function withOwnRules<Rule extends { ID?: string }>(existing: readonly Rule[], ours: readonly Rule[], alsoOwn: (rule: Rule) => boolean = () => false): Rule[] {
  const own = new Set(ours.map((rule) => rule.ID));
  return [...ours, ...existing.filter((rule) => !(rule.ID !== undefined && own.has(rule.ID)) && !alsoOwn(rule))];
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((item) => b.includes(item));

/** The CORS rule dfs wrote before its rules had an ID: dfs's methods and exposed headers, whatever the origins. */
export function isUnnamedDfsCorsRule(rule: CORSRule): boolean {
  const [ours] = corsRules(['*']);
  return rule.ID === undefined && sameSet(rule.AllowedMethods, ours!.AllowedMethods) && sameSet(rule.ExposeHeaders, ours!.ExposeHeaders);
}

/**
 * The lifecycle rule an earlier version wrote for the dfs under `keyPrefix`, before IDs named
 * the prefix: its ID without one, filtering on that prefix.
 */
export const isEarlierLifecycleRule =
  (keyPrefix: string) =>
  (rule: LifecycleRule): boolean =>
    keyPrefix !== '' && rule.ID === LIFECYCLE_ID && rule.Filter?.Prefix === keyPrefix;

/**
 * Whether `rule` is the CORS rule of a dfs setup without a key prefix, or of an earlier version
 * whatever its prefix (the two cannot be told apart): a setup with a prefix keeps it, and says so.
 */
export const isUnprefixedDfsCorsRule = (rule: CORSRule): boolean => rule.ID === CORS_ID;
