/**
 * The first admin token on Node: DFS_ADMIN_TOKEN when set; otherwise one generated at first
 * start, kept beside the index in a 0600 file so the operator can find it again, and printed
 * that once.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DfsContext } from '../core/context.ts';
import { sha256Hex } from '../core/ids.ts';
import { issueToken } from '../core/tokens.ts';

export interface AdminToken {
  /** The secret, when this process knows it; the banner shows it only when `generated`. */
  secret: string | null;
  source: 'environment' | 'generated' | 'file' | 'none';
}

export async function resolveAdminToken(ctx: DfsContext, configured: string | null, dataDir: string): Promise<AdminToken> {
  if (configured !== null) return { secret: configured, source: 'environment' };
  const file = join(dataDir, 'admin-token');
  const existing = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (existing && (await ctx.index.getTokenByHash(await sha256Hex(existing)))) {
    return { secret: existing, source: 'file' };
  }
  if ((await ctx.index.listTokens()).length > 0) return { secret: null, source: 'none' };
  const issued = await issueToken(ctx, { name: 'admin (generated at first start)', scopes: ['admin'] });
  await writeFile(file, `${issued.secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { secret: issued.secret, source: 'generated' };
}
