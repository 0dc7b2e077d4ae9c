/**
 * node:http(s) for the CLI, with the keep-alive agents that its API calls and transfers share.
 * node:http comes without undici: an ESM import of node:http reads every export, and three of
 * them (WebSocket, CloseEvent, MessageEvent) are getters that load undici, ~30 ms at the start of
 * every command, which the CLI does not use. process.getBuiltinModule hands over the module
 * object without reading them.
 */
import https from 'node:https';

export const http = process.getBuiltinModule('node:http');

// Sockets are bounded by the transfers in flight; LIFO keeps the warm ones busy.
export const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' }),
};
