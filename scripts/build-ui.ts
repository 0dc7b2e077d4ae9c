/**
 * `npm run build:ui`: bundles the web UI with esbuild into dist/ui (index.html at the root,
 * assets under ui/), the layout both runtimes serve: Node from memory, Workers as static assets.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { pageHeadersFile } from '../src/http/page-headers.ts';

export async function buildUi(outdir = 'dist/ui'): Promise<void> {
  await mkdir(`${outdir}/ui`, { recursive: true });
  await build({
    entryPoints: ['src/ui/app.ts'],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outfile: `${outdir}/ui/app.js`,
    logLevel: 'warning',
  });
  await copyFile('src/ui/index.html', `${outdir}/index.html`);
  await copyFile('src/ui/styles.css', `${outdir}/ui/styles.css`);
  // Workers serve these files before the Worker runs: the page's headers come from this file.
  await writeFile(`${outdir}/_headers`, pageHeadersFile(['/', '/index.html']));
}

if (import.meta.main) await buildUi();
