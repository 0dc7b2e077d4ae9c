/**
 * Listing's keyset pagination and folder skipping over a real SQLite index in memory: pages
 * must tile the listing exactly, whatever the page size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listPage } from '../../src/core/listing.ts';
import type { DfsError } from '../../src/core/errors.ts';
import { openSqliteIndex } from '../../src/index/sqlite-driver.ts';

const index = openSqliteIndex(':memory:');
const PATHS = ['a.txt', 'b/1', 'b/2', 'b/deep/3', 'c', 'c0/x', 'd/\u00e9', 'd/\uff01', 'd/😀', 'e/f/g/h'];

beforeAll(async () => {
  const now = new Date().toISOString();
  for (const [i, path] of PATHS.entries()) {
    await index.commitVersion({
      version: { id: `v${i}`, path, objectKey: `o/${i}`, size: 1, contentType: 't', sha256: null, createdAt: now, supersededAt: null },
      keepVersions: 10,
      garbageDueAt: now,
    });
  }
});

async function walk(prefix: string, delimiter: boolean, limit: number) {
  const entries: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await listPage(index, { prefix, scanPrefix: prefix, delimiter, limit, cursor });
    expect(page.files.length + page.folders.length).toBeLessThanOrEqual(limit);
    entries.push(...page.files.map((f) => f.path), ...page.folders);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return entries.sort();
}

describe('listPage', () => {
  it.each([1, 2, 3, 100])('tiles the recursive listing exactly with pages of %i', async (limit) => {
    expect(await walk('', false, limit)).toEqual([...PATHS].sort());
  });

  it.each([1, 2, 5])('tiles the delimited root with pages of %i, each folder once', async (limit) => {
    expect(await walk('', true, limit)).toEqual(['a.txt', 'b/', 'c', 'c0/', 'd/', 'e/']);
  });

  it('orders by UTF-8 bytes, as the index does', async () => {
    const page = await listPage(index, { prefix: 'd/', scanPrefix: 'd/', delimiter: true, limit: 10, cursor: null });
    expect(page.files.map((f) => f.path)).toEqual(['d/\u00e9', 'd/\uff01', 'd/😀']);
  });

  it('lists a partial name like S3 and narrows to the scanned prefix', async () => {
    const page = await listPage(index, { prefix: '', scanPrefix: 'b/', delimiter: true, limit: 10, cursor: null });
    expect(page.folders).toEqual(['b/']);
    expect(page.files).toEqual([]);
    const partial = await listPage(index, { prefix: 'c', scanPrefix: 'c', delimiter: true, limit: 10, cursor: null });
    expect(partial.files.map((f) => f.path)).toEqual(['c']);
    expect(partial.folders).toEqual(['c0/']);
  });

  it('refuses a cursor it did not make, and never reads below the scanned range', async () => {
    await expect(listPage(index, { prefix: '', scanPrefix: '', delimiter: false, limit: 10, cursor: '!!' })).rejects.toMatchObject({ code: 'invalid_request' } satisfies Partial<DfsError>);
    const forged = Buffer.from('ia').toString('base64url');
    const page = await listPage(index, { prefix: 'd/', scanPrefix: 'd/', delimiter: false, limit: 10, cursor: forged });
    expect(page.files.every((f) => f.path.startsWith('d/'))).toBe(true);
  });
});
