/** Display helpers for the file browser. */
export { formatBytes } from '../client/format.ts';

export const formatTime = (iso: string) => new Date(iso).toLocaleString();

/** What each API error means to a person using the page. */
export function explain(code: string, message: string): string {
  switch (code) {
    case 'unauthorized':
      return 'Your token is not valid any more. Sign in again.';
    case 'forbidden':
      return `Not allowed: ${message}`;
    case 'precondition_failed':
      return `Someone else changed this file meanwhile: ${message}. Refresh and try again.`;
    case 'too_large':
      return `Too large: ${message}`;
    case 'storage_unavailable':
      return 'The storage is unavailable right now. Nothing was lost; try again in a moment.';
    case 'conflict':
      return `Conflict: ${message}`;
    case 'not_found':
      return `Not found: ${message}`;
    case 'network':
      return 'The server cannot be reached. Check your connection.';
    default:
      return message;
  }
}

/** The store found an upload's bytes were not the ones whose MD5 the page signed (S3's BadDigest). */
export const CHANGED_ON_THE_WAY = 'The file changed on its way to the storage (its checksum did not match), so the storage refused it. Nothing was saved; try again.';

/** An upload whose bytes never reached the store (no answer at all, so no API code to explain). */
export const STORE_UNREACHABLE = "The file storage cannot be reached from this browser (the network, or the bucket's CORS setting). Nothing was saved; try again.";
