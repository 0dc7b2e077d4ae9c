/** Names within the paths the page shows. */

/** The last name of a file's or folder's path. */
export const baseName = (path: string) => path.replace(/\/$/, '').split('/').pop()!;

/** The folder a path is in, with its trailing slash ('' at the top). */
export const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);
