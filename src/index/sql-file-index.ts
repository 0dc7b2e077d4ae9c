/**
 * FileIndex over SQL, for D1 and node:sqlite alike. Every multi-step change is one atomic
 * batch that opens with guard statements (see the `guard` table in infra/migrations): a guard
 * whose condition fails aborts the batch, and its constraint name becomes the DfsError. That
 * makes each commit a compare-and-swap in SQL: no locks, safe with many API instances.
 */
import { conflict, invalidPath, notFound, preconditionFailed, unauthorized, type DfsError } from '../core/errors.ts';
import type { CommitVersionInput, DeletePrecondition, FileIndex, GarbageItem, MoveInput, PathRange, ShareRange } from '../core/file-index.ts';
import type { FileRecord, ListedShare, Scope, ShareRecord, TokenRecord, UploadRecord, UploadState, VersionRecord } from '../core/model.ts';
import { ancestorsOf, byteLength, MAX_PATH_BYTES, prefixEnd } from '../core/paths.ts';
import { sql, type SqlDriver, type SqlStatement, type SqlValue } from './sql-driver.ts';

type Row = Record<string, unknown>;

const FILE_COLUMNS = 'path, version, object_key, size, content_type, sha256, created_at, updated_at';
const VERSION_COLUMNS = 'id, path, object_key, size, content_type, sha256, created_at, superseded_at';
const UPLOAD_COLUMNS =
  'id, path, object_key, multipart_id, size, part_size, content_type, sha256, if_match, if_none_match, state, version, created_by, created_at, expires_at';

const text = (value: unknown) => value as string;
const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const num = (value: unknown) => Number(value);

/**
 * `values` as JSON arrays for json_each, one per query: one for any usual batch, more only when
 * they would pass D1's 2 MB per value (1000 paths of 1 KiB, each with every folder above it).
 * Counted in UTF-16 units, at most 3 bytes each in UTF-8, so 500,000 stays under 1.5 MB.
 */
function jsonChunks(values: readonly unknown[], maxUnits = 500_000): string[] {
  const chunks: string[] = [];
  let chunk: string[] = [];
  let units = 2;
  for (const value of values) {
    const json = JSON.stringify(value);
    if (chunk.length > 0 && units + json.length + 1 > maxUnits) {
      chunks.push(`[${chunk.join(',')}]`);
      chunk = [];
      units = 2;
    }
    chunk.push(json);
    units += json.length + 1;
  }
  if (chunk.length > 0) chunks.push(`[${chunk.join(',')}]`);
  return chunks;
}

const toFile = (r: Row): FileRecord => ({
  path: text(r.path),
  version: text(r.version),
  objectKey: text(r.object_key),
  size: num(r.size),
  contentType: text(r.content_type),
  sha256: textOrNull(r.sha256),
  createdAt: text(r.created_at),
  updatedAt: text(r.updated_at),
});

const toVersion = (r: Row): VersionRecord => ({
  id: text(r.id),
  path: text(r.path),
  objectKey: text(r.object_key),
  size: num(r.size),
  contentType: text(r.content_type),
  sha256: textOrNull(r.sha256),
  createdAt: text(r.created_at),
  supersededAt: textOrNull(r.superseded_at),
});

const toUpload = (r: Row): UploadRecord => ({
  id: text(r.id),
  path: text(r.path),
  objectKey: text(r.object_key),
  multipartId: textOrNull(r.multipart_id),
  size: num(r.size),
  partSize: r.part_size === null ? null : num(r.part_size),
  contentType: text(r.content_type),
  sha256: textOrNull(r.sha256),
  ifMatch: textOrNull(r.if_match),
  ifNoneMatch: num(r.if_none_match) === 1,
  state: text(r.state) as UploadState,
  version: textOrNull(r.version),
  createdBy: textOrNull(r.created_by),
  createdAt: text(r.created_at),
  expiresAt: text(r.expires_at),
});

const TOKEN_COLUMNS = 'id, name, hash, scopes, prefix, created_at, expires_at, created_by';
const SHARE_COLUMNS = 'id, path, disposition, created_by, created_at, expires_at';

const toToken = (r: Row): TokenRecord => ({
  id: text(r.id),
  name: text(r.name),
  hash: text(r.hash),
  scopes: text(r.scopes).split(',') as Scope[],
  prefix: textOrNull(r.prefix),
  createdAt: text(r.created_at),
  expiresAt: textOrNull(r.expires_at),
  createdBy: textOrNull(r.created_by),
});

const toShare = (r: Row): ShareRecord => ({
  id: text(r.id),
  path: text(r.path),
  disposition: text(r.disposition) as ShareRecord['disposition'],
  createdBy: textOrNull(r.created_by),
  createdAt: text(r.created_at),
  expiresAt: text(r.expires_at),
});

type GuardName = 'upload_gone' | 'source_gone' | 'precondition_failed' | 'target_exists' | 'name_clash' | 'not_found' | 'path_too_long';

/** Aborts the batch when `condition` (SQL with `params`) holds. */
const guard = (name: GuardName, condition: string, ...params: SqlValue[]): SqlStatement =>
  sql(`INSERT INTO guard (${name}) SELECT 1 WHERE ${condition}`, ...params);

const GUARD_FAILED = /CHECK constraint failed: (\w+)/;

/** The human messages each guard stands for, in terms of the operation that tripped it. */
type GuardMessages = Partial<Record<GuardName, () => DfsError>>;

const guardOf = (error: unknown) => GUARD_FAILED.exec(error instanceof Error ? error.message : String(error))?.[1] as GuardName | undefined;

/** The typed error a guard's failure stands for; any other error as it is. */
function refusal(error: unknown, messages: GuardMessages): unknown {
  const name = guardOf(error);
  const toError = name ? messages[name] : undefined;
  return toError ? toError() : error;
}

async function guarded<T>(run: () => Promise<T>, messages: GuardMessages): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw refusal(error, messages);
  }
}

/** The statements of one commit, and what each guard failing means. */
function commitPlan(input: CommitVersionInput): { statements: SqlStatement[]; refusals: GuardMessages } {
  const v = input.version;
  const statements: SqlStatement[] = [];
  if (input.uploadId !== undefined) {
    statements.push(guard('upload_gone', `NOT EXISTS (SELECT 1 FROM uploads WHERE id = ? AND state = 'pending')`, input.uploadId));
  }
  if (input.source !== undefined) {
    statements.push(guard('source_gone', 'NOT EXISTS (SELECT 1 FROM versions WHERE id = ? AND path = ?)', input.source.versionId, input.source.path));
  }
  if (input.ifMatch === '*') {
    statements.push(guard('precondition_failed', 'NOT EXISTS (SELECT 1 FROM files WHERE path = ?)', v.path));
  } else if (input.ifMatch) {
    statements.push(guard('precondition_failed', 'NOT EXISTS (SELECT 1 FROM files WHERE path = ? AND version = ?)', v.path, input.ifMatch));
  }
  if (input.ifNoneMatch) {
    const name = input.ifNoneMatch === 'conflict' ? 'target_exists' : 'precondition_failed';
    statements.push(guard(name, 'EXISTS (SELECT 1 FROM files WHERE path = ?)', v.path));
  }
  statements.push(nameClashGuard(v.path));
  statements.push(
    supersede(v.createdAt, 'path = ?', v.path),
    sql(
      `INSERT INTO versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
      v.id,
      v.path,
      v.objectKey,
      v.size,
      v.contentType,
      v.sha256,
      v.createdAt,
    ),
    sql(
      `INSERT INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET version = excluded.version, object_key = excluded.object_key, size = excluded.size,
         content_type = excluded.content_type, sha256 = excluded.sha256, updated_at = excluded.updated_at`,
      v.path,
      v.id,
      v.objectKey,
      v.size,
      v.contentType,
      v.sha256,
      v.createdAt,
      v.createdAt,
    ),
  );
  if (input.uploadId !== undefined) {
    statements.push(sql(`UPDATE uploads SET state = 'completed', version = ? WHERE id = ?`, v.id, input.uploadId));
  }
  statements.push(...dropVersions(BEYOND_RETENTION, [v.path, replacedToKeep(input.keepVersions)], input.garbageDueAt));
  statements.push(sql(`SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`, v.path));

  return {
    statements,
    refusals: {
      upload_gone: () => notFound(`upload "${input.uploadId}" is not open any more (aborted or expired)`),
      source_gone: () => notFound(input.source?.gone ?? 'the version to copy from no longer exists'),
      precondition_failed: () =>
        input.ifMatch === '*'
          ? preconditionFailed(`"${v.path}" no longer exists`)
          : input.ifMatch
            ? preconditionFailed(`"${v.path}" changed: it is no longer at version "${input.ifMatch}"`)
            : preconditionFailed(`"${v.path}" already exists`),
      target_exists: () => conflict('target_exists', `"${v.path}" already exists`),
      name_clash: clashMessage(v.path),
    },
  };
}

/** Why a delete's precondition failed, in the words of the one that was given. */
function deleteRefusal(path: string, ifMatch: string | null, ifNoneMatch: string | null): string {
  if (ifMatch !== null && ifNoneMatch !== null) return `"${path}" is not at a version If-Match and If-None-Match allow`;
  if (ifMatch !== null) return `"${path}" changed: it is no longer at version "${ifMatch}"`;
  return ifNoneMatch === '*' ? `"${path}" exists (If-None-Match: *)` : `"${path}" is still at version "${ifNoneMatch}"`;
}

/**
 * A file may not sit where a folder is, nor under a file. `movingFrom` is ignored: a file being
 * renamed may leave the very spot that would clash (a/b -> a).
 */
function nameClashGuard(path: string, movingFrom: string | null = null): SqlStatement {
  // The folders above the path are cut from it in SQL: as a parameter of their own, their list
  // grows with depth times length, and a batch of 1,000 deep paths sent hundreds of MB to D1.
  return guard(
    'name_clash',
    `EXISTS (
       WITH RECURSIVE cut(rest, above) AS (
         SELECT ?, ''
         UNION ALL
         SELECT substr(rest, instr(rest, '/') + 1), above || substr(rest, 1, instr(rest, '/')) FROM cut WHERE instr(rest, '/') > 0
       )
       SELECT 1 FROM files WHERE path IN (SELECT substr(above, 1, length(above) - 1) FROM cut WHERE above <> '') AND path IS NOT ?
     )
     OR EXISTS (SELECT 1 FROM files WHERE path > ? AND path < ? AND path IS NOT ?)`,
    path,
    movingFrom,
    `${path}/`,
    `${path}0`,
    movingFrom,
  );
}

const clashMessage = (path: string) => () => conflict('name_clash', `"${path}" clashes with a file or folder of the same name`);

/**
 * A path's history, most recently current first. When it stopped being current, not when it was
 * made, is what orders it: a move merges the history of the file moved with the one replaced.
 * That order is `seq` (see 0004_version_order.sql), not `superseded_at`: versions superseded in
 * the same millisecond (a batch completing many uploads to one path) still have one. The times
 * only break ties between versions of different files superseded by one statement (a folder
 * deleted) that a later move brings together.
 */
const HISTORY_ORDER = 'superseded_at IS NOT NULL, seq DESC, superseded_at DESC, created_at DESC, id DESC';

/**
 * Supersedes the versions the `where` clause selects (with `params`): they stop being current at
 * `now`, numbered after every version superseded before. Several superseded by one statement (a
 * folder deleted) may share a number: they belong to different paths, a path having one current
 * version.
 */
const supersede = (now: string, where: string, ...params: SqlValue[]): SqlStatement =>
  sql(
    `UPDATE versions SET superseded_at = ?, seq = (SELECT coalesce(max(seq), 0) + 1 FROM versions) WHERE superseded_at IS NULL AND ${where}`,
    now,
    ...params,
  );

/** A path's replaced versions beyond the newest `keepVersions - 1` (params: path, that count). */
const BEYOND_RETENTION = `SELECT id FROM versions WHERE path = ? AND superseded_at IS NOT NULL ORDER BY ${HISTORY_ORDER} LIMIT -1 OFFSET ?`;

/** The same for each path a query selects (`paths`, its params before the count). */
const beyondRetentionOf = (paths: string) => `SELECT id FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY path ORDER BY ${HISTORY_ORDER}) AS place
    FROM versions WHERE path IN (${paths}) AND superseded_at IS NOT NULL)
  WHERE place > ?`;

/**
 * The token with id `?` (if it exists) and every token it created, down the line: what revoking
 * it revokes. A subquery, not a statement starting with WITH, which drivers take for a read.
 */
const LINEAGE = `WITH RECURSIVE lineage (id) AS (
    SELECT id FROM tokens WHERE id = ?
    UNION SELECT t.id FROM tokens t JOIN lineage l ON t.created_by = l.id)
  SELECT id FROM lineage`;

const replacedToKeep = (keepVersions: number) => Math.max(0, keepVersions - 1);

/** Queues the objects of the selected versions as garbage, then deletes those versions. */
function dropVersions(selectIds: string, params: SqlValue[], garbageDueAt: string): SqlStatement[] {
  return [
    sql(
      `INSERT INTO garbage (object_key, multipart_id, due_at)
       SELECT object_key, NULL, ? FROM versions WHERE id IN (${selectIds})
       ON CONFLICT (object_key) DO UPDATE SET due_at = max(due_at, excluded.due_at)`,
      garbageDueAt,
      ...params,
    ),
    sql(`DELETE FROM versions WHERE id IN (${selectIds})`, ...params),
  ];
}

export class SqlFileIndex implements FileIndex {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async getFile(path: string): Promise<FileRecord | null> {
    const rows = await this.#db.all(`SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`, [path]);
    return rows[0] ? toFile(rows[0]) : null;
  }

  async filesAt(paths: string[]): Promise<FileRecord[]> {
    return this.#rowsIn(`SELECT ${FILE_COLUMNS} FROM files WHERE path IN (SELECT value FROM json_each(?))`, paths, toFile);
  }

  /** The rows `query` finds for `values` (its one parameter, a JSON array), in as few queries as D1 allows. */
  async #rowsIn<T>(query: string, values: readonly unknown[], toRecord: (row: Row) => T): Promise<T[]> {
    const pages = await Promise.all(jsonChunks(values).map((json) => this.#db.all(query, [json])));
    return pages.flat().map(toRecord);
  }

  async listFiles(range: PathRange): Promise<FileRecord[]> {
    const from = range.startInclusive ? 'path >= ?' : 'path > ?';
    const below = range.end === null ? '' : ' AND path < ?';
    const end = range.end === null ? [] : [range.end];
    if (range.groupAfter === undefined) {
      const rows = await this.#db.all(`SELECT ${FILE_COLUMNS} FROM files WHERE ${from}${below} ORDER BY path LIMIT ?`, [range.start, ...end, range.limit]);
      return rows.map(toFile);
    }
    // One seek per row in one statement: from a file to the next path, from a path in a folder
    // past the folder (its name with the "/" bumped to "0", as prefixEnd does).
    const depth = range.groupAfter;
    const slash = 'instr(substr(walk.path, ? + 1), \'/\')';
    const rows = await this.#db.all(
      `WITH RECURSIVE walk (path, n) AS (
         SELECT (SELECT path FROM files WHERE ${from}${below} ORDER BY path LIMIT 1), 1
         UNION ALL
         SELECT (SELECT path FROM files
                 WHERE path >= CASE WHEN ${slash} = 0 THEN walk.path ELSE substr(walk.path, 1, ? + ${slash} - 1) || '0' END
                   AND path <> walk.path${below}
                 ORDER BY path LIMIT 1), n + 1
         FROM walk WHERE path IS NOT NULL AND n < ?)
       SELECT ${FILE_COLUMNS} FROM walk JOIN files USING (path) ORDER BY n`,
      [range.start, ...end, depth, depth, depth, ...end, range.limit],
    );
    return rows.map(toFile);
  }

  async hasFilesUnder(folder: string): Promise<boolean> {
    const rows = await this.#db.all('SELECT 1 AS found FROM files WHERE path >= ? AND path < ? LIMIT 1', [folder, prefixEnd(folder)]);
    return rows.length > 0;
  }

  async foldersWithFiles(folders: string[]): Promise<string[]> {
    // A folder ends with "/", so the first path past everything under it ends with "0" instead.
    return this.#rowsIn(
      `SELECT value AS folder FROM json_each(?)
       WHERE EXISTS (SELECT 1 FROM files WHERE path >= value AND path < substr(value, 1, length(value) - 1) || '0')`,
      folders,
      (row) => text(row.folder),
    );
  }


  async commitVersion(input: CommitVersionInput): Promise<FileRecord> {
    const { statements, refusals } = commitPlan(input);
    const results = await guarded(() => this.#db.batch(statements), refusals);
    return toFile(results.at(-1)!.rows[0]!);
  }

  async commitVersions(inputs: CommitVersionInput[]): Promise<PromiseSettledResult<FileRecord>[]> {
    const plans = inputs.map(commitPlan);
    const results = await this.#db.batchEach(
      plans.map((plan) => plan.statements),
      (error) => guardOf(error) !== undefined,
    );
    return results.map((result, i) =>
      result.status === 'fulfilled' ? { status: 'fulfilled', value: toFile(result.value.at(-1)!.rows[0]!) } : { status: 'rejected', reason: refusal(result.reason, plans[i]!.refusals) },
    );
  }

  async deleteFile(path: string, { ifMatch, ifNoneMatch }: DeletePrecondition, now: string): Promise<void> {
    // After this guard the file exists, which is all `If-Match: *` asks, and what `If-None-Match: *` refuses.
    const statements = [guard('not_found', 'NOT EXISTS (SELECT 1 FROM files WHERE path = ?)', path)];
    if (ifMatch !== null && ifMatch !== '*') {
      statements.push(guard('precondition_failed', 'NOT EXISTS (SELECT 1 FROM files WHERE path = ? AND version = ?)', path, ifMatch));
    }
    if (ifNoneMatch === '*') statements.push(guard('precondition_failed', 'EXISTS (SELECT 1 FROM files WHERE path = ?)', path));
    else if (ifNoneMatch !== null) {
      statements.push(guard('precondition_failed', 'EXISTS (SELECT 1 FROM files WHERE path = ? AND version = ?)', path, ifNoneMatch));
    }
    statements.push(
      supersede(now, 'path = ?', path),
      sql('DELETE FROM files WHERE path = ?', path),
    );
    await guarded(() => this.#db.batch(statements), {
      not_found: () => notFound(`no file at "${path}"`),
      precondition_failed: () => preconditionFailed(deleteRefusal(path, ifMatch, ifNoneMatch)),
    });
  }

  async deleteFolder(folder: string, now: string): Promise<number> {
    const end = prefixEnd(folder);
    const results = await this.#db.batch([
      supersede(now, 'path >= ? AND path < ?', folder, end),
      sql('DELETE FROM files WHERE path >= ? AND path < ?', folder, end),
    ]);
    return results[1]!.changes;
  }

  async moveFile(input: MoveInput): Promise<FileRecord> {
    const { from, to, now } = input;
    const statements = [
      guard('not_found', 'NOT EXISTS (SELECT 1 FROM files WHERE path = ?)', from),
      nameClashGuard(to, from),
    ];
    if (!input.overwrite) statements.push(guard('target_exists', 'EXISTS (SELECT 1 FROM files WHERE path = ?)', to));
    statements.push(
      supersede(now, 'path = ?', to),
      sql('DELETE FROM files WHERE path = ?', to),
      sql('UPDATE versions SET path = ? WHERE path = ?', to, from),
      sql('UPDATE files SET path = ? WHERE path = ?', to, from),
      // Two histories now share the path: the limit holds for the merged one.
      ...dropVersions(BEYOND_RETENTION, [to, replacedToKeep(input.keepVersions)], input.garbageDueAt),
      sql(`SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`, to),
    );
    const results = await guarded(() => this.#db.batch(statements), {
      not_found: () => notFound(`no file at "${from}"`),
      target_exists: () => conflict('target_exists', `"${to}" already exists`),
      name_clash: clashMessage(to),
    });
    return toFile(results.at(-1)!.rows[0]!);
  }

  async moveFolder(input: MoveInput): Promise<number> {
    const { from, to, now } = input;
    const fromEnd = prefixEnd(from)!;
    const toEnd = prefixEnd(to)!;
    const toBase = to.slice(0, -1);
    const inSource = (column: string) => `(${column} >= ? AND ${column} < ?)`;
    // Where a source file lands: `to` plus its path below `from` (lengths in characters, as substr counts).
    const landing = (column: string) => `(? || substr(${column}, length(?) + 1))`;
    // Destination files that are not themselves being moved (the source may lie inside `to`).
    const destination = `path >= ? AND path < ? AND NOT ${inSource('path')}`;
    const collisions = `SELECT ${landing('s.path')} FROM files s WHERE ${inSource('s.path')}`;
    const collisionParams = [to, from, from, fromEnd];

    const statements = [
      guard('not_found', `NOT EXISTS (SELECT 1 FROM files WHERE ${inSource('path')})`, from, fromEnd),
      guard('name_clash', 'EXISTS (SELECT 1 FROM files WHERE path IN (SELECT value FROM json_each(?)))', JSON.stringify([...ancestorsOf(toBase), toBase])),
      // A moved file would land where the destination has a folder...
      guard(
        'name_clash',
        `EXISTS (SELECT 1 FROM files s WHERE ${inSource('s.path')} AND EXISTS (
           SELECT 1 FROM files d WHERE d.path > ${landing('s.path')} || '/' AND d.path < ${landing('s.path')} || '0'
             AND NOT ${inSource('d.path')}))`,
        from, fromEnd, to, from, to, from, from, fromEnd,
      ),
      // ...or under a file the destination already has.
      guard(
        'name_clash',
        `EXISTS (SELECT 1 FROM files d WHERE ${destination} AND EXISTS (
           SELECT 1 FROM files s WHERE s.path >= ? || substr(d.path, length(?) + 1) || '/' AND s.path < ? || substr(d.path, length(?) + 1) || '0'))`,
        to, toEnd, from, fromEnd, from, to, from, to,
      ),
    ];
    // A longer destination lengthens every path below it, maybe past what a path may be.
    if (byteLength(to) > byteLength(from)) {
      statements.push(guard('path_too_long', `EXISTS (SELECT 1 FROM files WHERE ${inSource('path')} AND length(CAST(${landing('path')} AS BLOB)) > ?)`, from, fromEnd, to, from, MAX_PATH_BYTES));
    }
    if (!input.overwrite) {
      statements.push(guard('target_exists', `EXISTS (SELECT 1 FROM files WHERE ${destination} AND path IN (${collisions}))`, to, toEnd, from, fromEnd, ...collisionParams));
    }
    statements.push(
      supersede(now, `${destination} AND path IN (${collisions})`, to, toEnd, from, fromEnd, ...collisionParams),
      sql(`DELETE FROM files WHERE ${destination} AND path IN (${collisions})`, to, toEnd, from, fromEnd, ...collisionParams),
      // Only the histories of the files moved follow them. A file deleted under `from` keeps its
      // history where it was (restorable there): carried along, it would join the history of
      // whatever file lives at its landing path, which the target_exists guard does not look
      // at, nor the retention below.
      sql(`UPDATE versions SET path = ${landing('path')} WHERE path IN (SELECT s.path FROM files s WHERE ${inSource('s.path')})`, to, from, from, fromEnd),
      // The histories merged are those of the paths the files land on: the files have not moved
      // yet, so their landing paths are still to be worked out from where they are.
      ...dropVersions(
        beyondRetentionOf(`SELECT ${landing('s.path')} FROM files s WHERE ${inSource('s.path')}`),
        [to, from, from, fromEnd, replacedToKeep(input.keepVersions)],
        input.garbageDueAt,
      ),
    );
    let moved: SqlStatement[];
    if (from.startsWith(to)) {
      // Source inside the destination: paths would pass through each other's names mid-update
      // (a/b/b/x -> a/b/x while a/b/x -> a/x), so go through a name no valid path can have.
      const parking = `\u0001move/${now}/`;
      moved = [
        sql(`UPDATE files SET path = ? || substr(path, length(?) + 1) WHERE ${inSource('path')}`, parking, from, from, fromEnd),
        sql(`UPDATE files SET path = ? || substr(path, length(?) + 1) WHERE path >= ? AND path < ?`, to, parking, parking, prefixEnd(parking)),
      ];
    } else {
      moved = [sql(`UPDATE files SET path = ${landing('path')} WHERE ${inSource('path')}`, to, from, from, fromEnd)];
    }
    statements.push(...moved);
    const results = await guarded(() => this.#db.batch(statements), {
      not_found: () => notFound(`nothing under "${from}"`),
      target_exists: () => conflict('target_exists', `files already exist under "${to}" with the same names`),
      name_clash: () => conflict('name_clash', `moving "${from}" to "${to}" would put a file where a folder is, or under a file`),
      path_too_long: () => invalidPath(`moving "${from}" to "${to}" would make a path longer than ${MAX_PATH_BYTES} bytes`),
    });
    return results.at(-1)!.changes;
  }

  async listVersions(path: string): Promise<VersionRecord[]> {
    const rows = await this.#db.all(`SELECT ${VERSION_COLUMNS} FROM versions WHERE path = ? ORDER BY ${HISTORY_ORDER}`, [path]);
    return rows.map(toVersion);
  }

  async getVersion(id: string): Promise<VersionRecord | null> {
    const rows = await this.#db.all(`SELECT ${VERSION_COLUMNS} FROM versions WHERE id = ?`, [id]);
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async getVersions(ids: string[]): Promise<VersionRecord[]> {
    return this.#rowsIn(`SELECT ${VERSION_COLUMNS} FROM versions WHERE id IN (SELECT value FROM json_each(?))`, ids, toVersion);
  }

  async createUploads(uploads: UploadRecord[]): Promise<void> {
    if (uploads.length === 0) return;
    // One parameter however many rows: D1 binds at most 100 per query.
    const rows = uploads.map((u) => [
      u.id,
      u.path,
      u.objectKey,
      u.multipartId,
      u.size,
      u.partSize,
      u.contentType,
      u.sha256,
      u.ifMatch,
      u.ifNoneMatch ? 1 : 0,
      u.state,
      u.version,
      u.createdBy,
      u.createdAt,
      u.expiresAt,
    ]);
    const columns = UPLOAD_COLUMNS.split(', ').map((_, i) => `json_extract(value, '$[${i}]')`);
    const insert = `INSERT INTO uploads (${UPLOAD_COLUMNS}) SELECT ${columns.join(', ')} FROM json_each(?)`;
    await this.#db.batch(jsonChunks(rows).map((json) => sql(insert, json)));
  }

  async getUpload(id: string): Promise<UploadRecord | null> {
    const rows = await this.#db.all(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ?`, [id]);
    return rows[0] ? toUpload(rows[0]) : null;
  }

  async getUploads(ids: string[]): Promise<UploadRecord[]> {
    return this.#rowsIn(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id IN (SELECT value FROM json_each(?))`, ids, toUpload);
  }

  async abortUpload(id: string, garbageDueAt: string): Promise<boolean> {
    const results = await this.#db.batch(this.#abortStatements('SELECT ? AS id', [id], garbageDueAt));
    return results[1]!.changes > 0;
  }

  async expireUploads(cutoff: string, garbageDueAt: string, limit: number): Promise<number> {
    const expired = `SELECT id FROM uploads WHERE state = 'pending' AND expires_at < ? ORDER BY expires_at LIMIT ?`;
    const results = await this.#db.batch(this.#abortStatements(expired, [cutoff, limit], garbageDueAt));
    return results[1]!.changes;
  }

  /** Pending uploads among `selectIds` -> aborted, their bytes queued as garbage. */
  #abortStatements(selectIds: string, params: SqlValue[], garbageDueAt: string): SqlStatement[] {
    return [
      sql(
        `INSERT INTO garbage (object_key, multipart_id, due_at)
         SELECT object_key, multipart_id, ? FROM uploads WHERE state = 'pending' AND id IN (${selectIds})
         ON CONFLICT (object_key) DO UPDATE SET multipart_id = excluded.multipart_id, due_at = excluded.due_at`,
        garbageDueAt,
        ...params,
      ),
      sql(`UPDATE uploads SET state = 'aborted' WHERE state = 'pending' AND id IN (${selectIds})`, ...params),
    ];
  }

  async purgeUploads(cutoff: string, limit: number): Promise<number> {
    const results = await this.#db.batch([
      sql(`DELETE FROM uploads WHERE id IN (SELECT id FROM uploads WHERE state IN ('completed', 'aborted') AND expires_at < ? LIMIT ?)`, cutoff, limit),
    ]);
    return results[0]!.changes;
  }

  async pruneVersions(cutoff: string, garbageDueAt: string, limit: number): Promise<number> {
    const old = 'SELECT id FROM versions WHERE superseded_at IS NOT NULL AND superseded_at < ? ORDER BY superseded_at LIMIT ?';
    const results = await this.#db.batch(dropVersions(old, [cutoff, limit], garbageDueAt));
    return results[1]!.changes;
  }

  async dueGarbage(now: string, limit: number): Promise<GarbageItem[]> {
    const referenced = `(EXISTS (SELECT 1 FROM versions v WHERE v.object_key = garbage.object_key)
      OR EXISTS (SELECT 1 FROM uploads u WHERE u.object_key = garbage.object_key AND u.state = 'pending'))`;
    const results = await this.#db.batch([
      // An object queued when one of its versions went is still live while another refers to it.
      sql(`DELETE FROM garbage WHERE due_at <= ? AND ${referenced}`, now),
      sql('SELECT object_key, multipart_id FROM garbage WHERE due_at <= ? ORDER BY due_at LIMIT ?', now, limit),
    ]);
    return results[1]!.rows.map((r) => ({ objectKey: text(r.object_key), multipartId: textOrNull(r.multipart_id) }));
  }

  async forgetGarbage(objectKeys: string[]): Promise<void> {
    if (objectKeys.length === 0) return;
    await this.#db.batch([sql('DELETE FROM garbage WHERE object_key IN (SELECT value FROM json_each(?))', JSON.stringify(objectKeys))]);
  }

  async postponeGarbage(objectKeys: string[], dueAt: string): Promise<void> {
    if (objectKeys.length === 0) return;
    await this.#db.batch([sql('UPDATE garbage SET due_at = max(due_at, ?) WHERE object_key IN (SELECT value FROM json_each(?))', dueAt, JSON.stringify(objectKeys))]);
  }

  async createToken(t: TokenRecord): Promise<void> {
    await this.#recordMadeBy(
      t.createdBy,
      sql(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.id, t.name, t.hash, t.scopes.join(','), t.prefix, t.createdAt, t.expiresAt, t.createdBy),
    );
  }

  /**
   * Runs `insert`, which records something a token made (a token, a share link), only while that
   * token still exists: one revoked between the request's authentication and the write would
   * otherwise leave behind something its revocation was meant to end.
   */
  async #recordMadeBy(createdBy: string | null, insert: SqlStatement): Promise<void> {
    const creatorGone = createdBy === null ? [] : [guard('not_found', 'NOT EXISTS (SELECT 1 FROM tokens WHERE id = ?)', createdBy)];
    await guarded(() => this.#db.batch([...creatorGone, insert]), { not_found: () => unauthorized('unknown or revoked token') });
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | null> {
    const rows = await this.#db.all(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`, [hash]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.#db.all(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`);
    return rows.map(toToken);
  }

  async deleteShare(id: string): Promise<boolean> {
    const results = await this.#db.batch([sql('DELETE FROM shares WHERE id = ?', id)]);
    return results[0]!.changes > 0;
  }

  async listShares(range: ShareRange): Promise<ListedShare[]> {
    const params: SqlValue[] = [range.validAt, range.start];
    let where = 'expires_at > ? AND path >= ?';
    if (range.end !== null) {
      where += ' AND path < ?';
      params.push(range.end);
    }
    if (range.after) {
      where += ' AND (path > ? OR (path = ? AND id > ?))';
      params.push(range.after.path, range.after.path, range.after.id);
    }
    params.push(range.limit);
    const rows = await this.#db.all(
      `SELECT ${SHARE_COLUMNS}, EXISTS (SELECT 1 FROM files WHERE files.path = shares.path) AS file_exists FROM shares WHERE ${where} ORDER BY path, id LIMIT ?`,
      params,
    );
    return rows.map((row) => ({ ...toShare(row), fileExists: Number(row.file_exists) === 1 }));
  }

  async purgeShares(cutoff: string, limit: number): Promise<number> {
    const results = await this.#db.batch([sql('DELETE FROM shares WHERE id IN (SELECT id FROM shares WHERE expires_at < ? LIMIT ?)', cutoff, limit)]);
    return results[0]!.changes;
  }

  async deleteToken(id: string): Promise<boolean> {
    const results = await this.#db.batch([
      sql(`DELETE FROM shares WHERE created_by IN (${LINEAGE})`, id),
      sql(`DELETE FROM tokens WHERE id IN (${LINEAGE})`, id),
    ]);
    return results[1]!.changes > 0;
  }

  async createShare(s: ShareRecord): Promise<void> {
    await this.#recordMadeBy(
      s.createdBy,
      sql(`INSERT INTO shares (${SHARE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, s.id, s.path, s.disposition, s.createdBy, s.createdAt, s.expiresAt),
    );
  }

  async getShare(id: string): Promise<ShareRecord | null> {
    const rows = await this.#db.all(`SELECT ${SHARE_COLUMNS} FROM shares WHERE id = ?`, [id]);
    return rows[0] ? toShare(rows[0]) : null;
  }

  async ping(): Promise<void> {
    await this.#db.all('SELECT 1 AS ok');
  }
}
