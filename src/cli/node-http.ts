/**
 * node:http without undici. An ESM import of node:http reads every export, and three of them
 * (WebSocket, CloseEvent, MessageEvent) are getters that load undici: ~30 ms at the start of
 * every command, which the CLI does not use. process.getBuiltinModule hands over the module
 * object without reading them.
 */
export const http = process.getBuiltinModule('node:http');
