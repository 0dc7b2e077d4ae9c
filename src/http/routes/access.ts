/** Routes over tokens, the caller's identity and share links (the public redirect included). */
import { createRoute } from '@hono/zod-openapi';
import { hasCode } from '../../core/errors.ts';
import { createShare, listShares, openShare, revokeShare, shareUrl } from '../../core/shares.ts';
import { createToken, listTokens, revokeToken } from '../../core/tokens.ts';
import type { AppDeps, DfsApp } from '../env.ts';
import { linkPage } from '../link-page.ts';
import { PAGE_HEADERS } from '../page-headers.ts';
import {
  CreatedTokenSchema,
  CreateShareBody,
  CreateTokenBody,
  ErrorSchema,
  IdParam,
  ShareLinkParam,
  ShareListQuery,
  ShareListResponse,
  ShareResponse,
  TokensResponse,
  WhoamiResponse,
} from '../schemas.ts';
import { shareEntry, tokenEntry } from '../serialize.ts';
import { authErrors, errors, json, jsonBody } from './common.ts';

export function registerAccessRoutes(app: DfsApp, { ctx }: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tokens',
      summary: 'Create a token (admin); the secret is shown once',
      request: jsonBody(CreateTokenBody),
      responses: { 201: json(CreatedTokenSchema, 'the token and its secret'), ...authErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const issued = await createToken(ctx, c.get('principal'), {
        name: body.name,
        scopes: body.scopes,
        prefix: body.prefix,
        expiresInSeconds: body.expiresIn,
      });
      return c.json({ ...tokenEntry(issued.token), token: issued.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tokens',
      summary: 'List tokens (admin)',
      responses: { 200: json(TokensResponse, 'tokens'), ...authErrors },
    }),
    async (c) => c.json({ tokens: (await listTokens(ctx, c.get('principal'))).map(tokenEntry) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tokens/{id}',
      summary: 'Revoke a token (admin)',
      request: { params: IdParam },
      responses: { 204: { description: 'revoked' }, ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      await revokeToken(ctx, c.get('principal'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/whoami',
      summary: 'The calling token',
      responses: { 200: json(WhoamiResponse, 'the token'), ...authErrors },
    }),
    (c) => {
      const p = c.get('principal');
      return c.json({ id: p.tokenId, name: p.name, scopes: [...p.scopes], prefix: p.prefix, expiresAt: p.expiresAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shares',
      summary: 'Create a public link to a file',
      request: jsonBody(CreateShareBody),
      responses: { 201: json(ShareResponse, 'the link'), ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const share = await createShare(ctx, c.get('principal'), {
        path: body.path,
        expiresInSeconds: body.expiresIn,
        disposition: body.disposition,
      });
      return c.json({ id: share.id, url: shareUrl(ctx, share, new URL(c.req.url).origin), expiresAt: share.expiresAt }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shares',
      summary: 'List the share links still valid under a prefix',
      request: { query: ShareListQuery },
      responses: { 200: json(ShareListResponse, 'a page of links, in path order'), ...authErrors },
    }),
    async (c) => {
      const origin = new URL(c.req.url).origin;
      const page = await listShares(ctx, c.get('principal'), c.req.valid('query'));
      return c.json({ shares: page.shares.map((share) => shareEntry(share, shareUrl(ctx, share, origin))), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/shares/{id}',
      summary: 'Revoke a share link before it expires',
      request: { params: IdParam },
      responses: { 204: { description: 'revoked: the link answers 404 from now on' }, ...authErrors, ...errors({ 404: 'not_found' }) },
    }),
    async (c) => {
      await revokeShare(ctx, c.get('principal'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/s/{id}',
      summary: 'Public: follow a share link',
      security: [],
      request: { params: ShareLinkParam },
      responses: {
        302: { description: 'Location is a short-lived presigned GET' },
        404: {
          description: 'not_found: no such link, or it expired, was revoked or its file is gone; a short page to a request that accepts text/html',
          content: { 'application/json': { schema: ErrorSchema }, 'text/html': { schema: { type: 'string' } } },
        },
      },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      try {
        const signed = await openShare(ctx, c.req.valid('param').id);
        return c.redirect(signed.url, 302);
      } catch (error) {
        // A link is mostly opened in a browser: a person gets a page saying it ended, a script the
        // JSON error. Any other failure (the store or the index down, a bug) is the app's error
        // answer, logged with its cause: the link itself may be fine.
        if (!hasCode(error, 'not_found') || !c.req.header('accept')?.includes('text/html')) throw error;
        return c.html(linkPage(error.message), 404, PAGE_HEADERS);
      }
    },
  );
}
