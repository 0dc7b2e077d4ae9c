import { describe, expect, it } from 'vitest';
import { partLength, planParts } from '../../src/core/part-plan.ts';
import { GiB, MiB, S3_MAX_OBJECT, TiB } from '../../src/core/settings.ts';
import { choosePartSize } from '../../src/client/upload.ts';

describe('planParts', () => {
  it('uses the default part size when 10,000 parts suffice', () => {
    expect(planParts(40 * MiB, undefined, 16 * MiB)).toEqual({ partSize: 16 * MiB, partCount: 3 });
    expect(planParts(64 * MiB, 8 * MiB, 16 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 8 });
  });

  it('raises the part size to whole MiB so 10,000 parts hold the file', () => {
    const plan = planParts(1 * TiB, undefined, 16 * MiB);
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    expect(plan.partSize % MiB).toBe(0);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(1 * TiB);
  });

  it('plans the largest object S3 allows', () => {
    const plan = planParts(S3_MAX_OBJECT, undefined, 16 * MiB);
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    expect(plan.partSize).toBeLessThanOrEqual(5 * GiB);
  });

  it('refuses part sizes outside 5 MiB..5 GiB', () => {
    expect(() => planParts(100 * MiB, 4 * MiB, 16 * MiB)).toThrow(/partSize/);
    expect(() => planParts(100 * MiB, 6 * GiB, 16 * MiB)).toThrow(/partSize/);
  });

  it('gives every part the same length but the last', () => {
    const size = 40 * MiB + 123;
    const plan = planParts(size, 16 * MiB, 16 * MiB);
    const lengths = Array.from({ length: plan.partCount }, (_, i) => partLength(size, plan, i + 1));
    expect(lengths).toEqual([16 * MiB, 16 * MiB, 8 * MiB + 123]);
    expect(lengths.reduce((a, b) => a + b)).toBe(size);
  });

  it('plans one empty part for an empty multipart upload', () => {
    const plan = planParts(0, undefined, 16 * MiB);
    expect(plan.partCount).toBe(1);
    expect(partLength(0, plan, 1)).toBe(0);
  });
});

describe('choosePartSize (the client engine)', () => {
  it('aims at about 16 parts of 8 to 64 MiB each', () => {
    expect(choosePartSize(20 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(256 * MiB)).toBe(16 * MiB);
    expect(choosePartSize(300 * MiB)).toBe(19 * MiB);
    expect(choosePartSize(1 * GiB)).toBe(64 * MiB);
    expect(choosePartSize(100 * GiB)).toBe(64 * MiB);
  });

  it('keeps a requested size unless 10,000 parts or the 5 MiB minimum forbid it', () => {
    expect(choosePartSize(1 * GiB, 5 * MiB)).toBe(5 * MiB);
    expect(choosePartSize(1 * GiB, 1 * MiB)).toBe(5 * MiB);
    const size = 1 * TiB;
    expect(Math.ceil(size / choosePartSize(size, 8 * MiB))).toBeLessThanOrEqual(10_000);
  });
});
