/**
 * Stopping a node:http(s) server within a deadline. `server.close()` alone stops accepting, but
 * goes on answering requests on kept-alive connections (each answer keeping them alive), keeps a
 * connection that never sent a request, and waits without end for a request that never
 * finishes, such as a PUT whose body trickles in.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/** Resolves once `deadline` has passed (at once if it has). */
export const passed = (deadline: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (deadline.aborted) resolve();
    else deadline.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * Returns the server's stop: no new connections; idle ones closed at once; each request under
 * way (or arriving meanwhile on an open connection) answered with `Connection: close`; whatever
 * is still open when `deadline` passes dropped. Without a deadline it waits for every request.
 */
export function drainable(server: HttpServer | HttpsServer): (deadline?: AbortSignal) => Promise<void> {
  // Every TCP connection, for the deadline; and the sockets requests come over (over TLS, the
  // TLS socket above its TCP one) with their answers under way, to tell the idle ones.
  const connections = new Set<Socket>();
  const carriers = new Map<Socket, number>();
  const answers = new Set<ServerResponse>();
  let stopping = false;

  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    carriers.set(socket, 0);
    socket.once('close', () => carriers.delete(socket));
  });
  // Before the app's own listener, so the header is set before anything is written.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    carriers.set(socket, (carriers.get(socket) ?? 0) + 1);
    answers.add(response);
    if (stopping) lastOnItsConnection(response);
    response.once('close', () => {
      answers.delete(response);
      if (!carriers.has(socket)) return;
      const left = carriers.get(socket)! - 1;
      carriers.set(socket, left);
      // An answer whose head went out before the stop said keep-alive: end the connection here.
      if (stopping && left === 0) socket.end();
    });
  });

  return async (deadline) => {
    stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const response of answers) lastOnItsConnection(response);
    for (const [socket, underWay] of carriers) if (underWay === 0) socket.destroy();
    if (deadline) {
      await Promise.race([closed, passed(deadline)]);
      for (const socket of connections) socket.destroy();
    }
    await closed;
  };
}

function lastOnItsConnection(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close');
}
