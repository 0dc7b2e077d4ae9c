/**
 * Listing with keyset pagination and an optional "/" delimiter over the index's plain range
 * scans. With a delimiter, each sub-folder is reported once; its files that came in the same
 * answer are passed over there, and a new query seeks past its last possible path only when an
 * answer ends inside it. A page of small folders costs a query or two (D1 counts queries per
 * request); a folder of millions of files costs one seek, not a read of its files.
 */
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { FileIndex } from './file-index.ts';
import type { FileRecord } from './model.ts';
import { prefixEnd } from './paths.ts';

export interface ListRequest {
  /** The S3-style prefix names are grouped under. */
  prefix: string;
  /** The range actually scanned: `prefix`, or narrower when the token sees less. */
  scanPrefix: string;
  delimiter: boolean;
  limit: number;
  cursor: string | null;
}

export interface ListPage {
  files: FileRecord[];
  folders: string[];
  nextCursor: string | null;
}

interface Position {
  key: string;
  inclusive: boolean;
}

export async function listPage(index: FileIndex, request: ListRequest): Promise<ListPage> {
  const { prefix, scanPrefix, delimiter, limit } = request;
  const end = prefixEnd(scanPrefix);
  let position = clampToRange(request.cursor === null ? null : decodePosition(request.cursor), scanPrefix);
  const files: FileRecord[] = [];
  const folders: string[] = [];

  for (;;) {
    const remaining = limit - files.length - folders.length;
    if (end !== null && compareCodePoints(position.key, end) >= 0) break;
    // One row more than needed tells whether another page exists. With a delimiter the answer
    // stays a page long as it fills, since folders take many rows each.
    const wanted = (delimiter ? limit : remaining) + 1;
    const rows = await index.listFiles({ start: position.key, startInclusive: position.inclusive, end, limit: wanted });
    for (const row of rows) {
      // Inside the folder just reported: passed over.
      if (position.inclusive && compareCodePoints(row.path, position.key) < 0) continue;
      if (files.length + folders.length === limit) return { files, folders, nextCursor: encodePosition(position) };
      const slash = delimiter ? row.path.indexOf('/', prefix.length) : -1;
      if (slash === -1) {
        files.push(row);
        position = { key: row.path, inclusive: false };
        continue;
      }
      const folder = row.path.slice(0, slash + 1);
      folders.push(folder);
      position = { key: prefixEnd(folder)!, inclusive: true };
    }
    if (rows.length < wanted) break;
  }
  return { files, folders, nextCursor: null };
}

/** Compares strings in code point order, which is UTF-8 byte order (the index's order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** A forged or stale cursor never reaches below the range the caller may scan. */
function clampToRange(position: Position | null, scanPrefix: string): Position {
  if (position === null || compareCodePoints(position.key, scanPrefix) < 0) return { key: scanPrefix, inclusive: true };
  return position;
}

const encodePosition = (position: Position) => encodeCursor((position.inclusive ? 'i' : 'x') + position.key);

const decodePosition = (cursor: string) =>
  decodeCursor(cursor, (text): Position => {
    const kind = text[0];
    if (kind !== 'i' && kind !== 'x') throw new Error('unknown kind');
    return { key: text.slice(1), inclusive: kind === 'i' };
  });
