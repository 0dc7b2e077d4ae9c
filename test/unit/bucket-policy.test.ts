import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { corsRules, isEarlierLifecycleRule, isUnnamedDfsCorsRule, lifecycleRules, withOwnRules } from '../../src/store/bucket-policy.ts';

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

  it('replaces lifecycle rules by ID, and the rule an earlier version wrote for the same prefix', () => {
    const kept: LifecycleRule = { ID: 'other-expiry', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } };
    const ours = lifecycleRules(3, 'dfs/');
    const earlier: LifecycleRule = { ...lifecycleRules(2, '')[0]!, Filter: { Prefix: 'dfs/' } };
    const unprefixed = lifecycleRules(2, '');
    expect(withOwnRules([kept, earlier, ...unprefixed, ...lifecycleRules(2, 'dfs/')], ours, isEarlierLifecycleRule('dfs/'))).toEqual([...ours, kept, ...unprefixed]);
    expect(withOwnRules([kept, ...unprefixed], unprefixed, isEarlierLifecycleRule(''))).toEqual([...unprefixed, kept]);
  });

  it('names the rules of a dfs with a key prefix after it, so two sharing a bucket keep each other\'s', () => {
    const staging = [...corsRules(['https://staging.example'], 'staging/')];
    const production = [...corsRules(['https://files.example'], 'production/')];
    expect(staging[0]!.ID).toBe('dfs:staging/');
    expect(withOwnRules(staging, production, isUnnamedDfsCorsRule)).toEqual([...production, ...staging]);
    expect(lifecycleRules(2, 'staging/')[0]!.ID).toBe('dfs-abort-incomplete-multipart:staging/');
    // An ID is at most 255 bytes: a longer one is named by the prefix's hash.
    expect(lifecycleRules(2, `${'データ'.repeat(25)}/`)[0]!.ID).toMatch(/^dfs-abort-incomplete-multipart:sha256:[0-9a-f]{64}$/);
    const id = corsRules(['*'], `${'p'.repeat(300)}/`)[0]!.ID!;
    expect(id).toMatch(/^dfs:sha256:[0-9a-f]{64}$/);
    expect(corsRules(['*'], `${'p'.repeat(300)}/`)[0]!.ID).toBe(id);
    expect(corsRules(['*'], `${'q'.repeat(300)}/`)[0]!.ID).not.toBe(id);
  });
});
