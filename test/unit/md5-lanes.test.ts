/**
 * The SIMD MD5 kernel and the local-file parts it hashes, against node:crypto: every length
 * around a block's padding boundary and a chunk's end, every count of streams on both kernels,
 * and parts of a real file grouped as an upload (or a resumed one) asks for them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneGroups, localFile } from '../../src/cli/local-file.ts';
import { Md5Lanes } from '../../src/cli/md5-lanes.ts';
import { md5Base64 } from '../support/api.ts';

const CHUNK = 4096;
const LENGTHS = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 57, 25_000];

describe('MD5 on SIMD lanes', () => {
  for (const lanes of [4, 8] as const) {
    it(`gives node:crypto's digests on ${lanes} lanes, whatever the length and the number of streams`, () => {
      const kernel = new Md5Lanes(lanes, CHUNK);
      for (const length of LENGTHS) {
        for (let streams = 1; streams <= lanes; streams++) {
          const inputs = Array.from({ length: streams }, () => randomBytes(length));
          kernel.reset();
          for (let position = 0; position < length; position += CHUNK) {
            const bytes = Math.min(CHUNK, length - position);
            inputs.forEach((input, lane) => input.copy(kernel.input(lane), 0, position, position + bytes));
            kernel.update(bytes, streams);
          }
          const digests = kernel.digests(streams).map((digest) => digest.toString('base64'));
          expect(digests, `${length} bytes on ${streams} streams`).toEqual(inputs.map(md5Base64));
        }
      }
    });
  }

  it('refuses an update after one that left a partial block', () => {
    const kernel = new Md5Lanes(4, CHUNK);
    kernel.update(100, 1);
    expect(() => kernel.update(64, 1)).toThrow(/partial block/);
  });
});

describe('the parts of a local file', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dfs-md5-'));
  });
  afterAll(async () => rm(folder, { recursive: true, force: true }));

  it('are hashed side by side in groups of up to eight parts of one length', () => {
    const ranges = (...lengths: number[]) => {
      let start = 0;
      return lengths.map((length) => ({ start, end: (start += length) }));
    };
    const shape = (groups: { start: number; end: number }[][]) => groups.map((group) => group.map((range) => range.end - range.start));
    // Twelve full parts and a short last one: a full group, then four, then the short one alone.
    expect(shape(laneGroups(ranges(...Array(12).fill(8), 3)))).toEqual([Array(8).fill(8), Array(4).fill(8), [3]]);
    // A resumed upload announces only its missing parts: still grouped while they are one length.
    expect(shape(laneGroups([{ start: 8, end: 16 }, { start: 32, end: 40 }, { start: 40, end: 48 }, { start: 96, end: 99 }]))).toEqual([[8, 8, 8], [3]]);
    // Lanes of a group take equal lengths: another length always starts a new group.
    expect(shape(laneGroups(ranges(8, 8, 5, 8)))).toEqual([[8, 8], [5], [8]]);
    expect(laneGroups([])).toEqual([]);
  });

  it('carry the MD5 of their own bytes, however the upload groups them', async () => {
    // Longer than the 256 KiB each lane reads at a time, and not a whole number of blocks.
    const part = 600_001;
    const bytes = randomBytes(12 * part + 777);
    const path = join(folder, 'parts.bin');
    await writeFile(path, bytes);
    const all = Array.from({ length: 13 }, (_, i) => ({ start: i * part, end: Math.min((i + 1) * part, bytes.length) }));
    // All parts (announced as groups of eight, four and the short last one), then a resumed
    // upload's few. What is checked is each digest, not which path hashed it: a part outside
    // every group is hashed alone and gives the same digest.
    for (const expected of [all, [all[1]!, all[4]!, all[5]!, all[12]!]]) {
      const file = localFile(path, bytes.length);
      file.expect!(expected);
      for (const { start, end } of expected) expect((await file.part(start, end)).md5, `${start}-${end}`).toBe(md5Base64(bytes.subarray(start, end)));
    }
    const unplanned = localFile(path, bytes.length);
    expect((await unplanned.part(5, 700_005)).md5).toBe(md5Base64(bytes.subarray(5, 700_005)));
  });
});
