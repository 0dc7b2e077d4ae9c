/**
 * Headers for what a browser shows as a page (the web UI, a share link's answer): no other site
 * may frame it, so a page holding a signed-in session cannot be overlaid to trick clicks.
 */
export const PAGE_HEADERS = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
} as const;

/** The same headers in Cloudflare's `_headers` format, for the UI served as static assets on Workers. */
export const pageHeadersFile = (paths: string[]) => paths.map((path) => `${path}\n${Object.entries(PAGE_HEADERS).map(([name, value]) => `  ${name}: ${value}`).join('\n')}\n`).join('');
