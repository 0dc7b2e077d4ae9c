/**
 * What a dfs bucket needs besides objects, in one place for the embedded server and for
 * `npm run setup:bucket`: CORS so browsers can PUT parts and read ETags, and a lifecycle rule
 * so multipart uploads nobody completes or aborts stop costing storage.
 */
import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';

export function corsRules(origins: string[]): CORSRule[] {
  return [
    {
      ID: 'dfs',
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
      ID: 'dfs-abort-incomplete-multipart',
      Status: 'Enabled',
      Filter: { Prefix: keyPrefix },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortMultipartAfterDays },
    },
  ];
}

/**
 * A bucket's `existing` rules with dfs's own replaced by `ours`, first: a bucket shared with
 * other applications keeps their rules, and setting up twice adds nothing. dfs's own carry its
 * IDs, or are `alsoOwn` (rules it wrote before they had IDs).
 */
export function withOwnRules<Rule extends { ID?: string }>(existing: readonly Rule[], ours: readonly Rule[], alsoOwn: (rule: Rule) => boolean = () => false): Rule[] {
  const own = new Set(ours.map((rule) => rule.ID));
  return [...ours, ...existing.filter((rule) => !(rule.ID !== undefined && own.has(rule.ID)) && !(rule.ID === undefined && alsoOwn(rule)))];
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((item) => b.includes(item));

/** The CORS rule dfs wrote before its rules had an ID (withOwnRules asks only of rules without one): dfs's methods and exposed headers, whatever the origins. */
export function isUnnamedDfsCorsRule(rule: CORSRule): boolean {
  const [ours] = corsRules(['*']);
  return sameSet(rule.AllowedMethods, ours!.AllowedMethods) && sameSet(rule.ExposeHeaders, ours!.ExposeHeaders);
}
