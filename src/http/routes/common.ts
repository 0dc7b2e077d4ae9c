/** Helpers shared by the route modules. */
import type { RouteConfig } from '@hono/zod-openapi';
import { ErrorSchema } from '../schemas.ts';

/**
 * File paths contain slashes, so routes capture the rest of the URL with Hono's `{.+}`
 * pattern; `openApiPath` turns it back into a plain template for the document.
 */
export const REST_OF_PATH = '{path{[^]+}}';
export const openApiPath = (path: string) => path.replace(REST_OF_PATH, '{path}');

export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const jsonBody = <T>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

const errorResponse = (description: string) => json(ErrorSchema, description);

/** The error responses every authenticated route may give. */
export const authErrors = {
  400: errorResponse('invalid_request or invalid_path'),
  401: errorResponse('unauthorized'),
  403: errorResponse('forbidden'),
  413: errorResponse('too_large: a request body over 1 MiB'),
  503: errorResponse('storage_unavailable'),
} satisfies RouteConfig['responses'];

export const errors = (statuses: Record<number, string>) =>
  Object.fromEntries(Object.entries(statuses).map(([status, text]) => [status, errorResponse(text)]));
