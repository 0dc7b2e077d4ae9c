/** An UploadIo over a Blob (a browser File, or Node's fs.openAsBlob) and fetch. */
import { TransferError } from './retry.ts';
import type { UploadIo } from './upload.ts';

export function blobUpload(blob: Blob): UploadIo {
  return {
    size: blob.size,
    part: async (start, end) => ({ put: (url, headers, signal) => put(url, headers, blob.slice(start, end), signal), release() {} }),
  };
}

async function put(url: string, headers: Record<string, string>, body: Blob, signal?: AbortSignal): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'PUT', headers, body, signal });
  } catch (error) {
    throw signal?.aborted ? error : new TransferError(`network error: ${(error as Error).message}`, 0);
  }
  const text = await response.text();
  if (!response.ok) throw TransferError.refused('upload', response.status, text);
  return response.headers.get('etag') ?? '';
}
