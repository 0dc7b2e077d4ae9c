/**
 * What a dfs bucket needs besides objects, in one place for the embedded server and for
 * `npm run setup:bucket`: CORS so browsers can PUT parts and read ETags, and a lifecycle rule
 * so multipart uploads nobody completes or aborts stop costing storage.
 */
import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';

export function corsRules(origins: string[]): CORSRule[] {
  return [
    {
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

export function lifecycleRules(abortMultipartAfterDays: number): LifecycleRule[] {
  return [
    {
      ID: 'dfs-abort-incomplete-multipart',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortMultipartAfterDays },
    },
  ];
}
