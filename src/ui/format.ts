/** Display helpers for the file browser. */
import type { TransferError } from '../client/retry.ts';

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

/** Why signing in got no verdict on the token: the server gave no answer, or could not give one now. */
export function explainUnanswered(error: { status: number; code: string; message: string }): string {
  if (error.status === 0) return 'The server cannot be reached. Check your connection, then try again.';
  if (error.status >= 500) return `The server is unavailable or busy right now (HTTP ${error.status}). Try again in a moment.`;
  return explain(error.code, error.message);
}

/** What a failed transfer between the page and the store means to a person using the page. */
export function explainTransfer(error: TransferError): string {
  // No answer at all: the network, or a bucket whose CORS rules do not let this page in.
  if (error.status === 0) return "The file storage cannot be reached from this browser (the network, or the bucket's CORS setting). Nothing was saved; try again.";
  // The store found the bytes were not the ones whose MD5 the page signed.
  if (error.storeCode === 'BadDigest') return 'The file changed on its way to the storage (its checksum did not match), so the storage refused it. Nothing was saved; try again.';
  return error.message;
}
