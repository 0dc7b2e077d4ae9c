import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { corsRules, isUnnamedDfsCorsRule, lifecycleRules, withOwnRules } from '../../src/store/bucket-policy.ts';

describe('withOwnRules', () => {
  const other: CORSRule = { ID: 'other-app', AllowedOrigins: ['https://other.example'], AllowedMethods: ['GET'] };
  const unnamedOther: CORSRule = { AllowedOrigins: ['*'], AllowedMethods: ['GET'], ExposeHeaders: ['ETag'] };
  const earlierDfs: CORSRule = { ...corsRules(['*'])[0]!, ID: undefined };

  it('puts dfs rules first, keeps the others, and replaces its own by ID or, unnamed, by shape', () => {
    const ours = corsRules(['https://files.example']);
    const once = withOwnRules([other, unnamedOther, earlierDfs], ours, isUnnamedDfsCorsRule);
    expect(once).toEqual([ours[0], other, unnamedOther]);
    expect(withOwnRules(once, ours, isUnnamedDfsCorsRule)).toEqual(once);
  });

  it('replaces lifecycle rules by ID only', () => {
    const kept: LifecycleRule = { ID: 'other-expiry', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } };
    const ours = lifecycleRules(3, 'dfs/');
    expect(withOwnRules([kept, ...lifecycleRules(2, '')], ours)).toEqual([...ours, kept]);
  });
});
