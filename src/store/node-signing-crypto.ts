/** SigV4's primitives on node:crypto: synchronous, a few microseconds per URL. */
import { createHash, createHmac } from 'node:crypto';
import type { SigningCrypto } from './sigv4-presigner.ts';

export const nodeSigningCrypto: SigningCrypto = {
  async deriveKey(secretAccessKey, scope) {
    let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
    for (const part of scope) key = createHmac('sha256', key).update(part).digest();
    return key;
  },
  signHex: (key, data) => createHmac('sha256', key as Buffer).update(data).digest('hex'),
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
};
