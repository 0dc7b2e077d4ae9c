/** Types shared by the app and its routes. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Authenticator, Principal } from '../core/access.ts';
import type { DfsContext } from '../core/context.ts';

export interface AppEnv {
  Variables: {
    principal: Principal;
    requestId: string;
  };
}

export type DfsApp = OpenAPIHono<AppEnv>;

export interface RequestLogEntry {
  time: string;
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  tokenId?: string | null;
  error?: string;
  /** What lay under the error (a store's transport failure): for operators, never sent to clients. */
  cause?: string;
}

export interface AppDeps {
  ctx: DfsContext;
  auth: Authenticator;
  /** Receives one entry per request; omit to log nothing. */
  log?: (entry: RequestLogEntry) => void;
  /** Origins allowed to call the API from browsers (the bundled UI is same-origin). */
  corsOrigins?: string[];
  /** Serves the web UI at "/" and its assets. */
  ui?: (app: DfsApp) => void;
}
