/** Display helpers for the file browser. */
import { ApiError } from '../client/api-client.ts';
import { BatchItemError } from '../client/batch-upload.ts';
import { StoreOutage } from '../client/outage.ts';
import { TransferError } from '../client/retry.ts';

export { formatBytes } from '../client/format.ts';

export const formatTime = (iso: string) => new Date(iso).toLocaleString();

/**
 * An API error as the page reads it: a route's answer, or one item's of a batch route, which
 * carries the code and message its single-file route would answer but no status of its own.
 */
type Refusal = ApiError | BatchItemError;

const isRefusal = (error: unknown): error is Refusal => error instanceof ApiError || error instanceof BatchItemError;

/**
 * What an answer's HTTP status alone tells a person: all there is to go on when the answer holds
 * no dfs error (a proxy's or gateway's page), whose text from the client is for developers.
 */
function explainStatus(status: number): string {
  if (status >= 500) return `The server is unavailable or busy right now (HTTP ${status}). Try again in a moment.`;
  return `The server gave an answer this page does not understand (HTTP ${status}). Try again in a moment; if it keeps happening, tell whoever runs it.`;
}

/** What each API error means to a person using the page. */
function explain(refusal: Refusal): string {
  const { code, message } = refusal;
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
export function explainUnanswered(error: ApiError): string {
  if (error.status === 0) return 'The server cannot be reached. Check your connection, then try again.';
  if (error.status >= 500) return explainStatus(error.status);
  return explainError(error);
}

/** What a failed transfer between the page and the store means to a person using the page. */
function explainTransfer(error: TransferError): string {
  // No answer at all: the network, or a bucket whose CORS rules do not let this page in.
  if (error.status === 0) return "The file storage cannot be reached from this browser (the network, or the bucket's CORS setting). Nothing was saved; try again.";
  // The store found the bytes were not the ones whose MD5 the page signed.
  if (error.storeCode === 'BadDigest') return 'The file changed on its way to the storage (its checksum did not match), so the storage refused it. Nothing was saved; try again.';
  return error.message;
}

/** What any failure means to a person using the page. */
export function explainError(error: unknown): string {
  // Made by the client of an answer that held no dfs error: a route's, never a batch item's.
  if (error instanceof ApiError && error.code === 'http_error') return explainStatus(error.status);
  if (isRefusal(error)) return explain(error);
  if (error instanceof TransferError) return explainTransfer(error);
  if (error instanceof StoreOutage) {
    return `The file storage failed every request for ${Math.round(error.failingMs / 1000)} s, so the uploads still to go were stopped: ${explainError(error.last)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Why an upload to `target` failed. One sent on condition that the name was free (a drop box's,
 * which cannot see what is there) found it taken: the person has to pick another name.
 */
export function explainUpload(target: string, error: unknown, nameMustBeFree: boolean): string {
  if (nameMustBeFree && isRefusal(error) && error.code === 'precondition_failed') return `A file named ${target} is there already; rename yours and upload it again.`;
  return explainError(error);
}

/** Failed files named in a notice; the list of uploads shows every one. */
const FAILURES_NAMED = 3;

/**
 * The failures of one pick or drop of `total` files, in a line: how many, and the first few with
 * why. Failures for one reason (`oneReason`: an outage stops every file with the same long text)
 * say it once.
 */
export function describeFailures(failures: { target: string; reason: string }[], total: number, oneReason: boolean): string {
  const head = total === 1 ? 'Not uploaded' : `${failures.length} of ${total} files not uploaded`;
  const shown = failures.slice(0, FAILURES_NAMED);
  const more = failures.length - shown.length;
  const shared = failures[0]?.reason;
  if (failures.length > 1 && oneReason) {
    return `${head}: ${shared} (${shown.map(({ target }) => target).join(', ')}${more > 0 ? ` and ${more} more` : ''})`;
  }
  return `${head}. ${shown.map(({ target, reason }) => `${target}: ${reason}`).join(' · ')}${more > 0 ? ` · and ${more} more (see the list of uploads)` : ''}`;
}

/** The summary above the list of uploads: finished rows leave it, failed ones stay. */
export function describeUploads(uploaded: number, failed: number): string {
  return [uploaded > 0 ? `${uploaded} uploaded` : '', failed > 0 ? `${failed} failed` : ''].filter(Boolean).join(', ');
}
