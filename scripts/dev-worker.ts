/**
 * `npm run dev:worker`: the Worker on this machine, fully local. Starts the embedded S3 server
 * (the same one `npm start` uses), applies the D1 migrations to wrangler's local database,
 * then runs `wrangler dev` pointed at both. No Cloudflare account, no network.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startEmbeddedS3 } from '../src/runtime/embedded-s3.ts';
import { embeddedCredentials } from '../src/runtime/embedded-s3-credentials.ts';

const port = process.env.DFS_PORT ?? '8787';
const dataDir = process.env.DFS_DATA_DIR ?? '.dfs';
mkdirSync(dataDir, { recursive: true });

const tokenFile = `${dataDir}/worker-admin-token`;
let adminToken: string;
let generated = false;
try {
  adminToken = readFileSync(tokenFile, 'utf8').trim();
} catch {
  adminToken = `dfs_${randomBytes(32).toString('base64url')}`;
  writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  generated = true;
}

const s3 = await startEmbeddedS3({
  directory: `${dataDir}/worker-objects`,
  host: '127.0.0.1',
  port: Number(process.env.DFS_EMBEDDED_S3_PORT ?? 8789),
  bucket: 'dfs',
  corsOrigins: ['*'],
  credentials: await embeddedCredentials(dataDir),
});

const wrangler = process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler';
// The local D1 lives with the token and the objects: another DFS_DATA_DIR is another whole
// service, never an old index over an empty store.
const persistTo = ['--persist-to', `${dataDir}/wrangler-state`];
const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', ...persistTo], { stdio: 'inherit', env: { ...process.env, CI: 'true' } });
if (migrate.status !== 0) {
  await s3.close();
  process.exit(migrate.status ?? 1);
}

const vars: Record<string, string> = {
  DFS_ADMIN_TOKEN: adminToken,
  DFS_PUBLIC_URL: `http://127.0.0.1:${port}`,
  S3_ENDPOINT: s3.endpoint,
  S3_REGION: s3.region,
  S3_BUCKET: s3.bucket,
  S3_ACCESS_KEY_ID: s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  S3_FORCE_PATH_STYLE: 'true',
  S3_DIALECT: 's3rver',
};
// In a file only this user reads, not on wrangler's command line, where `ps` shows them to all.
const varsFile = `${dataDir}/worker-vars.env`;
writeFileSync(varsFile, Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
chmodSync(varsFile, 0o600);
const dev = spawn(wrangler, ['dev', '--local', '--ip', '127.0.0.1', '--port', port, ...persistTo, '--env-file', varsFile], { stdio: ['inherit', 'inherit', 'inherit'] });
// As on Node: the secret is printed once, when it was just generated.
const tokenLine = generated ? `${adminToken} (generated now, kept in ${tokenFile})` : `in ${tokenFile}`;
process.stderr.write(`dfs Worker (wrangler dev) on http://127.0.0.1:${port}, store ${s3.endpoint}\n  admin token: ${tokenLine}\n`);

const stop = () => dev.kill('SIGTERM');
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
dev.once('exit', async (code) => {
  await s3.close();
  process.exit(code ?? 0);
});
