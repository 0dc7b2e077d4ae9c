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
import { errorBody, mapUnparsedRequest } from '../http/errors.ts';

interface ClientErrorSource {
  on(event: 'clientError', listener: (error: Error & { code?: string; reason?: string }, socket: Duplex) => void): unknown;
}

/**
 * Whether a keep-alive connection has a response assigned (`_httpMessage` is how Node's HTTP
 * server ties a socket to its response). Stricter than Node's own answer, which still writes one
 * while that response's head is unsent: here such a connection is closed without an answer (a
 * body arriving too slowly gets no 408), never written into mid-response.
 */
const responseUnderWay = (socket: Duplex) => (socket as Duplex & { _httpMessage?: unknown })._httpMessage != null;

export function answerUnparsedRequests(server: ClientErrorSource, log?: (entry: RequestLogEntry) => void): void {
  server.on('clientError', (error, socket) => {
    // Nobody left to answer (the client hung up, or the socket is already ending), or an answer
    // written now would land in the middle of the response to the request before (pipelined).
    if (error.code === 'ECONNRESET' || !socket.writable || responseUnderWay(socket)) {
      socket.destroy();
      return;
    }
    const answer = mapUnparsedRequest(error.code, error.reason);
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
