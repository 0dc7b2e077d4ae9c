import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../src/index/sql-driver.ts';
import { SqlFileIndex } from '../../src/index/sql-file-index.ts';
import { NewerIndexError, SqliteDriver } from '../../src/index/sqlite-driver.ts';

const MIGRATIONS = fileURLToPath(new URL('../../infra/migrations/', import.meta.url));
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const done of cleanup.splice(0)) done();
});

/** A database migrated up to (not including) `before`, as one made by an older dfs. */
function olderIndex(before: string): SqliteDriver {
  const older = mkdtempSync(join(tmpdir(), 'dfs-migrations-'));
  for (const name of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && f < before)) copyFileSync(join(MIGRATIONS, name), join(older, name));
  const db = new SqliteDriver(':memory:');
  db.migrate(older);
  cleanup.push(() => {
    db.close();
    rmSync(older, { recursive: true, force: true });
  });
  return db;
}

describe('0004_version_order', () => {
  it('numbers the versions an older index superseded in the order it listed them, and new ones after', async () => {
    const db = olderIndex('0004');
    const version = (id: string, path: string, createdAt: string, supersededAt: string | null) =>
      sql('INSERT INTO versions (id, path, object_key, size, content_type, created_at, superseded_at) VALUES (?, ?, ?, 1, ?, ?, ?)', id, path, `k-${id}`, 't', createdAt, supersededAt);
    await db.batch([
      version('c', 'p', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
      version('b', 'p', '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
      version('a', 'p', '2026-01-03T00:00:00.000Z', null),
      version('z', 'q', '2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z'),
      sql(`INSERT INTO files (path, version, object_key, size, content_type, created_at, updated_at) VALUES ('p', 'a', 'k-a', 1, 't', '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z')`),
    ]);
    expect(db.migrate(MIGRATIONS)).toEqual(readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && f >= '0004'));
    expect(await db.all('SELECT id, seq FROM versions ORDER BY id')).toEqual([
      { id: 'a', seq: null },
      { id: 'b', seq: 3 },
      { id: 'c', seq: 2 },
      { id: 'z', seq: 1 },
    ]);

    const index = new SqlFileIndex(db);
    expect((await index.listVersions('p')).map((v) => v.id)).toEqual(['a', 'b', 'c']);
    // A version superseded now, even at a time the clock puts before the others, is the newest.
    const early = '2020-01-01T00:00:00.000Z';
    await index.commitVersion({
      version: { id: 'd', path: 'p', objectKey: 'k-d', size: 1, contentType: 't', sha256: null, createdAt: early, supersededAt: null },
      keepVersions: 3,
      garbageDueAt: early,
    });
    expect((await index.listVersions('p')).map((v) => v.id)).toEqual(['d', 'a', 'b']);
  });
});

describe('an index a newer dfs migrated', () => {
  it('is refused, naming the migrations this build does not know, and left as it is', async () => {
    const newer = mkdtempSync(join(tmpdir(), 'dfs-migrations-'));
    for (const name of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))) copyFileSync(join(MIGRATIONS, name), join(newer, name));
    writeFileSync(join(newer, '9999_future.sql'), 'CREATE TABLE future (x TEXT);');
    const db = new SqliteDriver(':memory:');
    cleanup.push(() => {
      db.close();
      rmSync(newer, { recursive: true, force: true });
    });
    db.migrate(newer);
    expect(() => db.migrate(MIGRATIONS)).toThrow(NewerIndexError);
    expect(() => db.migrate(MIGRATIONS)).toThrow('the index :memory: was migrated by a newer dfs (9999_future.sql, unknown to this one): run that version or a newer one');
    expect(await db.all('SELECT name FROM d1_migrations WHERE name = ?', ['9999_future.sql'])).toHaveLength(1);
  });
});
