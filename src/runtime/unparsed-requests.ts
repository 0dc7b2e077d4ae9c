/**
 * Requests Node's HTTP parser refuses before any app code runs: a request line and headers over
 * its 16 KiB limit (a path of 20,000 characters), a raw space or non-ASCII byte in the target,
 * a malformed header. Node would answer a bare 400 or 431 with no body; clients of the API get
 * its error shape and a request id instead, and the log its line, as for any other request.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestLogEntry } from '../http/env.ts';
import { errorBody, type MappedError } from '../http/errors.ts';

interface ClientErrorSource {
  on(event: 'clientError', listener: (error: Error & { code?: string }, socket: Duplex) => void): unknown;
}

export function answerUnparsedRequests(server: ClientErrorSource, log?: (entry: RequestLogEntry) => void): void {
  server.on('clientError', (error, socket) => {
    // Nobody left to answer (the client hung up, or the socket is already ending).
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = unparsedAnswer(error.code);
    const requestId = randomUUID();
    const body = JSON.stringify(errorBody(answer));
    socket.end(
      [
        `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Request-Id: ${requestId}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
    // The request line was not read, so neither its method nor its path (nor any token) is known.
    log?.({ time: new Date().toISOString(), requestId, method: '-', path: '-', status: answer.status, durationMs: 0, error: answer.message });
  });
}

function unparsedAnswer(parserCode: string | undefined): MappedError {
  if (parserCode === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'too_large', message: 'the request line and headers are over 16 KiB (a path holds at most 1024 bytes)' };
  }
  if (parserCode === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'invalid_request', message: 'the request did not arrive in time' };
  return { status: 400, code: 'invalid_request', message: 'not a valid HTTP request (percent-encode spaces and non-ASCII characters in the URL)' };
}
