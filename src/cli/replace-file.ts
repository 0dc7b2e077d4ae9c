import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes `data` beside `path` (at `aside`) and renames it into place: whenever the process is
 * killed, `path` holds the old content or the new, never half of either.
 */
export async function replaceFile(path: string, data: string | Uint8Array, aside = `${path}.${process.pid}.tmp`): Promise<void> {
  await writeFile(aside, data);
  await rename(aside, path);
}
