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

  it('lists a page of small folders in a query or two, not one per folder (D1 counts queries)', async () => {
    const many = openSqliteIndex(':memory:');
    const now = new Date().toISOString();
    for (let i = 0; i < 300; i++) {
      for (const name of ['a', 'b']) {
        const path = `many/f${String(i).padStart(3, '0')}/${name}`;
        await many.commitVersion({
          version: { id: `v${i}${name}`, path, objectKey: `o/${i}${name}`, size: 1, contentType: 't', sha256: null, createdAt: now, supersededAt: null },
          keepVersions: 10,
          garbageDueAt: now,
        });
      }
    }
    let queries = 0;
    const counting = new Proxy(many, {
      get: (target, name) => (name === 'listFiles' ? (...args: Parameters<typeof many.listFiles>) => (queries++, target.listFiles(...args)) : Reflect.get(target, name, target)),
    });
    const page = await listPage(counting, { prefix: 'many/', scanPrefix: 'many/', delimiter: true, limit: 100, cursor: null });
    expect(page.folders).toHaveLength(100);
    expect(page.folders[99]).toBe('many/f099/');
    expect(queries).toBeLessThanOrEqual(3);
    const rest = await listPage(counting, { prefix: 'many/', scanPrefix: 'many/', delimiter: true, limit: 1000, cursor: page.nextCursor });
    expect(rest.folders).toHaveLength(200);
    expect(rest.folders[0]).toBe('many/f100/');
    expect(rest.nextCursor).toBeNull();
    many.close();
  });

  it('lists a page of folders larger than a page in one query, not one per folder (D1 counts queries)', async () => {
    const big = openSqliteIndex(':memory:');
    const now = new Date().toISOString();
    const paths = ['big/a.txt', 'big/\u00e9t\u00e9/x', 'big/😀/x', 'big/😀0', 'big/z.txt'];
    for (let i = 0; i < 60; i++) for (let j = 0; j < 12; j++) paths.push(`big/f${String(i).padStart(2, '0')}/sub${j}/x`);
    for (const [i, path] of paths.entries()) {
      await big.commitVersion({
        version: { id: `v${i}`, path, objectKey: `o/${i}`, size: 1, contentType: 't', sha256: null, createdAt: now, supersededAt: null },
        keepVersions: 10,
        garbageDueAt: now,
      });
    }
    let queries = 0;
    const counting = new Proxy(big, {
      get: (target, name) => (name === 'listFiles' ? (...args: Parameters<typeof big.listFiles>) => (queries++, target.listFiles(...args)) : Reflect.get(target, name, target)),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listPage(counting, { prefix: 'big/', scanPrefix: 'big/', delimiter: true, limit: 10, cursor });
      seen.push(...page.files.map((f) => f.path), ...page.folders);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    const folders = Array.from({ length: 60 }, (_, i) => `big/f${String(i).padStart(2, '0')}/`);
    expect(seen.sort()).toEqual(['big/a.txt', 'big/z.txt', 'big/\u00e9t\u00e9/', 'big/😀/', 'big/😀0', ...folders].sort());
    expect(queries).toBe(pages);
    big.close();
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
