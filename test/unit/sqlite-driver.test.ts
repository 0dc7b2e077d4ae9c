import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DfsError } from '../../src/core/errors.ts';
import { sql } from '../../src/index/sql-driver.ts';
import { SqliteDriver } from '../../src/index/sqlite-driver.ts';

let db: SqliteDriver;
const rows = () => db.all<{ name: string }>('SELECT name FROM t ORDER BY name').then((r) => r.map((row) => row.name));
const insert = (name: string) => sql('INSERT INTO t (name) VALUES (?)', name);

beforeEach(async () => {
  db = new SqliteDriver(':memory:');
  await db.batch([sql('CREATE TABLE t (name TEXT PRIMARY KEY)')]);
});
afterEach(() => db.close());

describe('SqliteDriver group commit', () => {
  it('runs batches issued in one turn in order, each seeing the ones before, rolling back only the one that fails', async () => {
    await db.batch([insert('taken')]);
    const results = await Promise.allSettled([
      db.batch([insert('a1'), insert('a2'), sql('SELECT count(*) AS n FROM t')]),
      db.batch([insert('b1'), insert('taken')]),
      db.batch([insert('c1')]),
      db.batch([insert('d1'), insert('d2'), sql('SELECT count(*) AS n FROM t')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/UNIQUE constraint failed/);
    // A batch sees the writes of the batches before it in the shared transaction.
    expect((results[0] as PromiseFulfilledResult<{ rows: unknown[] }[]>).value[2]!.rows).toEqual([{ n: 3 }]);
    // The last sees a1, a2 and c1 but not b1, rolled back inside the shared transaction.
    expect((results[3] as PromiseFulfilledResult<{ rows: unknown[] }[]>).value[2]!.rows).toEqual([{ n: 6 }]);
    expect(await rows()).toEqual(['a1', 'a2', 'c1', 'd1', 'd2', 'taken']);
  });

  it('rolls back all of a lone batch that fails, and commits a lone statement by itself', async () => {
    await expect(db.batch([insert('x'), insert('x')])).rejects.toThrow(/UNIQUE/);
    await expect(db.batch([insert('y')])).resolves.toEqual([{ rows: [], changes: 1 }]);
    await expect(db.batch([insert('y')])).rejects.toThrow(/UNIQUE/);
    expect(await rows()).toEqual(['y']);
  });
});

describe('SqliteDriver and another process holding the lock', () => {
  it('fails a write with a 503 the client may try again, and writes once the lock is let go', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dfs-busy-'));
    const file = join(folder, 'index.db');
    const mine = new SqliteDriver(file);
    const other = new DatabaseSync(file);
    try {
      await mine.batch([sql('CREATE TABLE t (name TEXT PRIMARY KEY)')]);
      other.exec('BEGIN IMMEDIATE');
      const refused = await mine.batch([insert('a'), insert('b')]).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DfsError);
      expect(refused).toMatchObject({ code: 'storage_unavailable', message: 'the index is busy: another process holds its lock; try again' });
      other.exec('COMMIT');
      await mine.batch([insert('a'), insert('b')]);
      expect(await mine.all('SELECT name FROM t ORDER BY name')).toEqual([{ name: 'a' }, { name: 'b' }]);
    } finally {
      other.close();
      mine.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
