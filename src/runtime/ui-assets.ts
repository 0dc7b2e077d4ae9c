/** Serves the built web UI (dist/ui, from `npm run build:ui`) on Node, held in memory. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DfsApp } from '../http/env.ts';
import { PAGE_HEADERS } from '../http/page-headers.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export function uiAssets(directory: string): (app: DfsApp) => void {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (existsSync(join(directory, 'index.html'))) {
    files.set('/', { body: readFileSync(join(directory, 'index.html')), type: TYPES['.html']! });
    for (const name of readdirSync(join(directory, 'ui'))) {
      files.set(`/ui/${name}`, { body: readFileSync(join(directory, 'ui', name)), type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' });
    }
  }
  return (app) => {
    app.get('/', (c) => {
      const page = files.get('/');
      if (!page) return c.text('The web UI is not built: run "npm run build:ui" (npm ci does it).', 503);
      return c.body(new Uint8Array(page.body), 200, { 'Content-Type': page.type, 'Cache-Control': 'no-cache', ...PAGE_HEADERS });
    });
    app.get('/ui/:file', (c) => {
      const asset = files.get(c.req.path);
      if (!asset) return c.notFound();
      return c.body(new Uint8Array(asset.body), 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
    });
  };
}
