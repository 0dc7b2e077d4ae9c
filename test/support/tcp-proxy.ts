/**
 * A loopback TCP proxy that a test can cut, hang and restore, to put a real store "down" (or
 * silent) and back without stopping it (the same S3 server may serve other tests).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Refuse new connections and drop open ones. */
  cut(): Promise<void>;
  /** Drop open connections; accept new ones and never answer them (a hung store). */
  hang(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let connections = 0;
  let hanging = false;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        connections++;
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => client.destroy());
        if (hanging) {
          client.resume();
          return;
        }
        const upstream = connect(Number(target.port || 80), target.hostname);
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });

  await listen();
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    cut: stop,
    async hang() {
      hanging = true;
      for (const s of sockets) s.destroy();
      if (!server) await listen();
    },
    async restore() {
      if (hanging) {
        hanging = false;
        for (const s of sockets) s.destroy();
      }
      if (!server) await listen();
    },
    close: stop,
  };
}
