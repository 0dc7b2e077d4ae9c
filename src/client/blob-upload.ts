/** An UploadIo over a Blob (a browser File, or Node's fs.openAsBlob) and fetch. */
import { TransferError } from './retry.ts';
import type { UploadIo } from './upload.ts';

export function blobUpload(blob: Blob): UploadIo {
  return {
    size: blob.size,
    async put(url, headers, start, end, signal) {
      let response: Response;
      try {
        response = await fetch(url, { method: 'PUT', headers, body: blob.slice(start, end), signal });
      } catch (error) {
        throw signal?.aborted ? error : new TransferError(`network error: ${(error as Error).message}`, 0);
      }
      const text = await response.text();
      if (!response.ok) throw new TransferError(`the store refused the upload: HTTP ${response.status} ${text.slice(0, 200)}`, response.status, text);
      return response.headers.get('etag') ?? '';
    },
  };
}
