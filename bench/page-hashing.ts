/**
 * What the web UI's hashing costs (src/client/blob-upload.ts): hash-wasm's MD5 and SHA-256 over
 * 256 MiB in the 4 MiB slices the page reads, each alone and both over the same slices (a file
 * sent in one PUT), on one core. Node runs the same WebAssembly on the same V8 as Chromium.
 */
import { createMD5, createSHA256 } from 'hash-wasm';

const MiB = 1024 * 1024;
const SLICE = 4 * MiB;
const data = new Uint8Array(256 * MiB);
for (let i = 0; i < data.length; i += 4096) data[i] = i & 255;

type Hasher = Awaited<ReturnType<typeof createMD5>>;

async function rate(name: string, makers: (() => Promise<Hasher>)[]): Promise<void> {
  const rates: number[] = [];
  for (let round = 0; round < 3; round++) {
    const hashers = await Promise.all(makers.map((make) => make()));
    const started = performance.now();
    for (let offset = 0; offset < data.length; offset += SLICE) for (const hasher of hashers) hasher.update(data.subarray(offset, offset + SLICE));
    for (const hasher of hashers) hasher.digest();
    rates.push(data.length / 1e6 / ((performance.now() - started) / 1000));
  }
  console.log(`${name.padEnd(14)} ${rates.map((r) => r.toFixed(0)).join(' / ')} MB/s`);
}

await rate('MD5', [createMD5]);
await rate('SHA-256', [createSHA256]);
await rate('MD5 + SHA-256', [createMD5, createSHA256]);
