/**
 * What `put` reads as a stream, copied aside before it is sent, rather than as a file: "-"
 * (standard input), a pipe (`dfs put <(pg_dump db) db.sql`, a FIFO) or a device. Read as a
 * file, a pipe's size is 0 and its read blocks the process, Ctrl-C included.
 */
import { constants, createReadStream, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';

export async function isStream(local: string): Promise<boolean> {
  if (local === '-') return true;
  const info = await stat(local).catch(() => null);
  return info !== null && !info.isFile() && !info.isDirectory();
}

/** How lines name a stream: its path, or "standard input". */
export const streamName = (local: string) => (local === '-' ? 'standard input' : local);

/**
 * A FIFO is read through the event loop, as standard input is when it is a pipe: an open or a
 * read waiting for a writer on a thread of the pool would keep the process from ever exiting,
 * Ctrl-C included. Opened without waiting, it is read once a writer comes.
 */
export async function openStream(local: string): Promise<NodeJS.ReadableStream> {
  if (local === '-') return process.stdin;
  if (!(await stat(local)).isFIFO()) return createReadStream(local);
  return new Socket({ fd: openSync(local, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
}
