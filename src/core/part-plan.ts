/** Multipart layout: one uniform part size for all parts but the last (R2 requires it). */
import { invalidRequest, tooLarge } from './errors.ts';
import { MiB, S3_MAX_PART, S3_MAX_PARTS, S3_MIN_PART } from './settings.ts';

export interface PartPlan {
  partSize: number;
  partCount: number;
}

/**
 * Uses the requested (or default) part size, raised to the next whole MiB that fits the file
 * in 10,000 parts.
 */
export function planParts(size: number, requestedPartSize: number | undefined, defaultPartSize: number): PartPlan {
  if (requestedPartSize !== undefined && (requestedPartSize < S3_MIN_PART || requestedPartSize > S3_MAX_PART)) {
    throw invalidRequest(`partSize must be between ${S3_MIN_PART} and ${S3_MAX_PART} bytes`);
  }
  const smallestFitting = Math.ceil(Math.ceil(size / S3_MAX_PARTS) / MiB) * MiB;
  const partSize = Math.max(requestedPartSize ?? defaultPartSize, smallestFitting, S3_MIN_PART);
  if (partSize > S3_MAX_PART) throw tooLarge('file is too large for 10,000 parts of at most 5 GiB');
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The exact byte length of part `partNumber` (1-based). */
export function partLength(size: number, plan: PartPlan, partNumber: number): number {
  const start = (partNumber - 1) * plan.partSize;
  return Math.max(0, Math.min(plan.partSize, size - start));
}
