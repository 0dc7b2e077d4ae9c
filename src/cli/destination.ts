/**
 * What a download does with what is already at its local destination. A regular file (or
 * nothing) is replaced whole, by a rename. A symbolic link named as the destination is followed,
 * as cp does: the file it names is replaced and the link stays; one inside a folder downloaded
 * with -r is refused. A device or a FIFO takes the bytes themselves, in order,
 * as standard output does: a file renamed over it would take its place (/dev/null made a file).
 */
import { constants, lstatSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { shown } from './output.ts';
import { UsageError } from './transfer.ts';

/** How often a FIFO no one reads yet is tried again. */
const READER_WAIT_MS = 50;

/** A device or a FIFO, written into. */
export interface NodeDestination {
  node: string;
  fifo: boolean;
}

/** A regular file, written beside and renamed over (`there`: the one it replaces, if any); or a node. */
export type Destination = { file: string; there?: Stats } | NodeDestination;

/**
 * Whether each folder of these destinations is there before anything is made: only in one that
 * is can something already be at a destination. One look per folder, none under one not there.
 * A file where a folder must come takes nothing in, and each file bound inside would fail alone
 * on it: that is one usage error, before anything is written. So is a symbolic link where a
 * folder below `root` (the destination named) must come, as `cp -r` refuses one: the folders
 * there are named by the server, and a link someone left in the tree would take the files
 * written through it anywhere on the machine.
 */
export function foldersThere(plans: readonly { local: string }[], root: string): ReadonlyMap<string, boolean> {
  const there = new Map<string, boolean>();
  const isThere = (folder: string): boolean => {
    let found = there.get(folder);
    if (found === undefined) {
      const parent = dirname(folder);
      there.set(folder, (found = (parent === folder || isThere(parent)) && somethingAt(folder, below(root, folder))));
    }
    return found;
  };
  for (const plan of plans) isThere(dirname(plan.local));
  return there;
}

/** Whether `path` lies below `root`: a folder named "..x" there does ("..x" is no step up). */
export const below = (root: string, path: string) => {
  const way = relative(root, path);
  return way !== '' && way !== '..' && !way.startsWith(`..${sep}`) && !isAbsolute(way);
};

function somethingAt(path: string, belowRoot: boolean): boolean {
  let found;
  let link;
  try {
    link = lstatSync(path, { throwIfNoEntry: false });
    found = link?.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : link;
  } catch {
    // Not to be known (no permission to look): each destination is looked at, and fails alone.
    return true;
  }
  if (found && !found.isDirectory()) throw new UsageError(`${shown(path)} is ${found.isFile() ? 'a file, not' : 'not'} a folder: move it away, or download into another folder`);
  // A link to nothing stands where the folder must be made: no file bound inside could be written.
  if (!found && link?.isSymbolicLink()) throw new UsageError(`${shown(path)} is a broken symbolic link, not a folder: move it away, or download into another folder`);
  if (belowRoot && link?.isSymbolicLink()) {
    throw new UsageError(`${shown(path)} is a symbolic link where a folder of the download must be made (cp -r refuses one too): move it away, or download into another folder`);
  }
  return found !== undefined;
}

/**
 * Where the bytes for `dest` go, by what is there now. `listed`: a name the server listed for a
 * folder's download, not one the person typed, where a link (left by whoever else writes in the
 * tree) is refused as one in place of a folder is.
 */
export function destinationAt(dest: string, listed: boolean): Destination {
  const found = lstatSync(dest, { throwIfNoEntry: false });
  if (!found) return { file: dest };
  if (found.isFile()) return { file: dest, there: found };
  if (listed && found.isSymbolicLink()) throw new Error(`${shown(dest)} is a symbolic link: a folder's download never writes through one (move it away)`);
  const info = found.isSymbolicLink() ? statSync(dest, { throwIfNoEntry: false }) : found;
  if (!info) throw new Error(`${shown(dest)} is a broken symbolic link`);
  if (info.isDirectory()) throw new Error(`${shown(dest)} is a folder`);
  // open(2) refuses a socket (cp and curl fail there too): talking to what listens there is no download.
  if (info.isSocket()) throw new Error(`${shown(dest)} is a socket: only a file, a device or a FIFO can be written to`);
  return info.isFile() ? { file: realpathSync(dest), there: info } : { node: dest, fifo: info.isFIFO() };
}

/**
 * A stream into a device or a FIFO, opened to write only: nothing is created or truncated. A
 * FIFO is written through the event loop, as standard output is when it is a pipe: an open or a
 * write waiting for a reader on a thread of the pool would keep the process from ever exiting,
 * Ctrl-C included. Its open waits for a reader, as cp's does, by trying again.
 */
export async function openNode({ node, fifo }: NodeDestination, signal?: AbortSignal): Promise<Writable> {
  if (!fifo) return (await open(node, constants.O_WRONLY)).createWriteStream();
  for (;;) {
    try {
      return new Socket({ fd: openSync(node, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    }
    await setTimeout(READER_WAIT_MS, undefined, { signal });
  }
}
