/** SigV4's primitives on node:crypto: synchronous, a few microseconds per URL. */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { SigningCrypto } from './sigv4-presigner.ts';

export const nodeSigningCrypto: SigningCrypto = {
  async deriveKey(secretAccessKey, scope) {
    let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
    for (const part of scope) key = createHmac('sha256', key).update(part).digest();
    // A KeyObject spares createHmac from importing raw key bytes on every URL.
    return createSecretKey(key);
  },
  signHex: (key, data) => createHmac('sha256', key as KeyObject).update(data).digest('hex'),
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
};
