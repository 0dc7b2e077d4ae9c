/** Identifiers and secrets, from the platform's CSPRNG (WebCrypto: Node and Workers alike). */

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

function randomBase32(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += CROCKFORD[b & 31];
  return out;
}

function timeBase32(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/**
 * A time-ordered unique id (48-bit milliseconds + 80 random bits, 26 characters), so ids sort
 * roughly by creation and index inserts stay local.
 */
export const newId = (now: Date) => timeBase32(now.getTime()) + randomBase32(16);

/**
 * A fresh object key: fully random so keys spread over the store's partitions, and never
 * derived from a user's path.
 */
export const newObjectKey = () => `o/${randomBase32(26)}`;

/**
 * A prefix for the object keys of one batch of uploads (80 random bits), so that completing
 * them can list the whole batch with one request instead of asking for each key.
 */
export const newBatchKeyPrefix = () => `o/${randomBase32(16)}/`;

/** A fresh key under a batch prefix: with the prefix, as many random bits as a plain key. */
export const newBatchObjectKey = (batchPrefix: string) => `${batchPrefix}${randomBase32(10)}`;

const BATCH_KEY = /^(o\/[0-9a-z]{16}\/)[0-9a-z]{10}$/;

/** The batch prefix a key was made under, or null for a key made alone. */
export const batchPrefixOf = (key: string) => BATCH_KEY.exec(key)?.[1] ?? null;

/** An unguessable id for public links (130 bits). */
export const newShareId = () => randomBase32(26);

/** A bearer token secret: `dfs_` + 256 random bits in base64url. */
export function newTokenSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `dfs_${btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
