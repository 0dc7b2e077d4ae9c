/**
 * node:http(s) requests for the CLI, on keep-alive agents that its API calls and transfers share.
 * node:http comes without undici: an ESM import of node:http reads every export, and three of
 * them (WebSocket, CloseEvent, MessageEvent) are getters that load undici, ~30 ms at the start of
 * every command, which the CLI does not use. process.getBuiltinModule hands over the module
 * object without reading them.
 */
import type { ClientRequest } from 'node:http';
import https from 'node:https';

const http = process.getBuiltinModule('node:http');

// Sockets are bounded by the transfers in flight; LIFO keeps the warm ones busy.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' }),
};

/** A request on the shared agents, destroyed with `silence()`'s error after `idleMs` without a byte either way. */
export function request(url: string, options: { method: string; headers?: Record<string, string>; signal?: AbortSignal }, idleMs: number, silence: () => Error): ClientRequest {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const sent = (secure ? https : http).request(target, { ...options, agent: secure ? agents.https : agents.http });
  sent.setTimeout(idleMs, () => sent.destroy(silence()));
  return sent;
}
