/**
 * The API's requests over node:http(s). The first fetch of a process loads undici (~40 ms,
 * measured), and every CLI command begins with an API call.
 */
import type { ApiFetch } from '../client/api-client.ts';
import { request as send } from './node-http.ts';

/** As long as fetch would wait: a recursive rm or mv of a big folder is one long request. */
const TIMEOUT_MS = 300_000;

export const apiFetch: ApiFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const request = send(url, { method: init.method, headers: init.headers }, TIMEOUT_MS, () => new Error(`no answer for ${TIMEOUT_MS / 1000} s`));
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => {
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, ok: status >= 200 && status < 300, text: async () => text });
      });
    });
    request.end(init.body);
  });
