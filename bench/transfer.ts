/**
 * Transfers on a real S3 server (Ceph RGW; the embedded one would hide every difference):
 * `dfs put`/`dfs get` of one 1 GiB file and of 1000 x 4 KiB files, against a plain AWS SDK
 * script and rclone on the same store, with wall time and peak RSS from GNU time. curl with
 * presigned URLs made beforehand (no index, no hashing, no checks) is a client that costs almost
 * nothing: one connection for the big file, 128 PUTs or GETs in flight for the small ones, so its
 * small-file rows are the store's own ceiling on the same machine in the same run.
 * Like the tests, it takes S3_ENDPOINT and AWS_* from the environment when they are set; else it
 * starts Ceph with scripts/ceph/start.sh when it is not running (install it first) and reads
 * the cluster's s3.env. It
 * empties its bucket at the end so repeated runs do not fill the test cluster. dfs runs as an
 * installed copy does: the compiled CLI (built here first), not the sources through type stripping.
 * Every row runs REPEAT times (default 3), the tools taking turns (each round starting with
 * another), and reports the median time and the highest peak RSS: the first writes into a fresh
 * Ceph cost more than later ones, and the median keeps that first round out of every tool's row.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCephBucket } from '../test/support/s3-target.ts';
import { startServerProcess } from './server-process.ts';

const GiB = 1024 ** 3;
const SMALL_FILES = 1000;
const smallName = (i: number) => `f${String(i).padStart(4, '0')}.bin`;
const rgwDir = process.env.RGW_DIR ?? '/tmp/dfs-ceph';
const REPEAT = Number(process.env.REPEAT ?? 3);

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// Room for every repetition: Ceph frees deleted objects only hours later (its garbage collector's delay).
if (!process.env.S3_ENDPOINT) execFileSync('bash', ['scripts/ceph/start.sh'], { env: { OSD_SIZE_GB: '48', ...process.env, RGW_DIR: rgwDir }, stdio: ['ignore', 'ignore', 'inherit'] });
const target = await startCephBucket();
const s3env = { S3_ENDPOINT: target.endpoint, AWS_ACCESS_KEY_ID: target.accessKeyId, AWS_SECRET_ACCESS_KEY: target.secretAccessKey };
const { bucket } = target;

const work = await mkdtemp(join(tmpdir(), 'dfs-transfer-'));
const token = `bench-${randomBytes(16).toString('hex')}`;
const server = await startServerProcess({
  DFS_DATA_DIR: join(work, 'server'),
  DFS_ADMIN_TOKEN: token,
  S3_ENDPOINT: s3env.S3_ENDPOINT,
  S3_BUCKET: bucket,
  S3_ACCESS_KEY_ID: s3env.AWS_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY: s3env.AWS_SECRET_ACCESS_KEY,
});

console.log('preparing 1 GiB and 1000 x 4 KiB of random data…');
execFileSync('bash', ['-c', `head -c ${GiB} /dev/urandom > ${join(work, 'big.bin')}`]);
await mkdir(join(work, 'small'));
for (let i = 0; i < SMALL_FILES; i++) await writeFile(join(work, 'small', smallName(i)), randomBytes(4096));

interface Run {
  seconds: number;
  peakRssMiB: number;
}
const runs = new Map<string, { tool: string; operation: string; amount: { bytes?: number; files?: number }; runs: Run[] }>();

function measure(tool: string, operation: string, command: string[], env: Record<string, string | undefined>, amount: { bytes?: number; files?: number }) {
  // Every run starts with no dirty pages: the previous run's writes would otherwise be flushed
  // to disk during this one, and whoever comes first would pay for the data generation.
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], { cwd: work, env: env as NodeJS.ProcessEnv, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} ${operation} failed: ${result.stderr.slice(-2000)}`);
  const [seconds, kib] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
  const key = `${tool}\n${operation}`;
  if (!runs.has(key)) runs.set(key, { tool, operation, amount, runs: [] });
  runs.get(key)!.runs.push({ seconds, peakRssMiB: Math.round(kib / 1024) });
  console.log(`${tool.padEnd(8)} ${operation.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s  ${rateOf(amount, seconds).padStart(14)}  peak RSS ${Math.round(kib / 1024)} MiB`);
}

const rateOf = (amount: { bytes?: number; files?: number }, seconds: number) =>
  amount.bytes ? `${(amount.bytes / 1e6 / seconds).toFixed(0)} MB/s` : `${(amount.files! / seconds).toFixed(0)} files/s`;

const node = process.execPath;
const dfsEnv = { ...process.env, DFS_ENDPOINT: server.url, DFS_TOKEN: token, XDG_CACHE_HOME: join(work, 'cache'), NODE_OPTIONS: '--no-experimental-strip-types' };
const sdkEnv = { ...process.env, S3_ENDPOINT: s3env.S3_ENDPOINT, S3_BUCKET: bucket, AWS_ACCESS_KEY_ID: s3env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: s3env.AWS_SECRET_ACCESS_KEY };
const rcloneEnv = {
  ...process.env,
  AWS_CA_BUNDLE: undefined,
  RCLONE_CONFIG_CEPH_TYPE: 's3',
  RCLONE_CONFIG_CEPH_PROVIDER: 'Ceph',
  RCLONE_CONFIG_CEPH_ENDPOINT: s3env.S3_ENDPOINT,
  RCLONE_CONFIG_CEPH_ACCESS_KEY_ID: s3env.AWS_ACCESS_KEY_ID,
  RCLONE_CONFIG_CEPH_SECRET_ACCESS_KEY: s3env.AWS_SECRET_ACCESS_KEY,
};
const presigner = new S3Client({
  endpoint: s3env.S3_ENDPOINT,
  region: target.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3env.AWS_ACCESS_KEY_ID, secretAccessKey: s3env.AWS_SECRET_ACCESS_KEY },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const presign = (command: PutObjectCommand | GetObjectCommand) => getSignedUrl(presigner, command, { expiresIn: 3600 });

/** curl config files for the round's 1000 small PUTs and GETs, with their URLs signed beforehand. */
async function curlConfigs(prefix: string, downloadDir: string): Promise<{ put: string; get: string }> {
  let put = '';
  let get = '';
  for (let i = 0; i < SMALL_FILES; i++) {
    const key = `${prefix}/small/${smallName(i)}`;
    put += `url = "${await presign(new PutObjectCommand({ Bucket: bucket, Key: key }))}"\nupload-file = "small/${smallName(i)}"\noutput = "/dev/null"\n`;
    get += `url = "${await presign(new GetObjectCommand({ Bucket: bucket, Key: key }))}"\noutput = "${downloadDir}/${smallName(i)}"\n`;
  }
  const name = prefix.replace(/\//g, '-');
  const files = { put: join(work, `${name}-put.curl`), get: join(work, `${name}-get.curl`) };
  await writeFile(files.put, put);
  await writeFile(files.get, get);
  return files;
}

const dfsBin = join(process.cwd(), 'bin', 'dfs.js');
const sdkScript = join(process.cwd(), 'bench', 'sdk-baseline.ts');

/** Each tool's four transfers in round `r`. */
const tools: ((r: string) => Promise<void> | void)[] = [
  (r) => {
    measure('dfs', 'put 1 GiB', [node, dfsBin, 'put', 'big.bin', `dfs/${r}/big.bin`], dfsEnv, { bytes: GiB });
    measure('dfs', 'get 1 GiB', [node, dfsBin, 'get', `dfs/${r}/big.bin`, `big.dfs.${r}`], dfsEnv, { bytes: GiB });
    measure('dfs', 'put 1000 x 4 KiB', [node, dfsBin, 'put', '-r', 'small', `dfs/${r}/`], dfsEnv, { files: SMALL_FILES });
    measure('dfs', 'get 1000 x 4 KiB', [node, dfsBin, 'get', '-r', `dfs/${r}/small`, `small.dfs.${r}`], dfsEnv, { files: SMALL_FILES });
  },
  (r) => {
    measure('aws-sdk', 'put 1 GiB', [node, sdkScript, 'put', 'big.bin', `sdk/${r}/big.bin`], sdkEnv, { bytes: GiB });
    measure('aws-sdk', 'get 1 GiB', [node, sdkScript, 'get', `big.sdk.${r}`, `sdk/${r}/big.bin`], sdkEnv, { bytes: GiB });
    measure('aws-sdk', 'put 1000 x 4 KiB', [node, sdkScript, 'put-dir', 'small', `sdk/${r}/small`], sdkEnv, { files: SMALL_FILES });
    measure('aws-sdk', 'get 1000 x 4 KiB', [node, sdkScript, 'get-dir', `small.sdk.${r}`, `sdk/${r}/small`], sdkEnv, { files: SMALL_FILES });
  },
  (r) => {
    measure('rclone', 'put 1 GiB', ['rclone', 'copyto', 'big.bin', `ceph:${bucket}/rclone/${r}/big.bin`], rcloneEnv, { bytes: GiB });
    measure('rclone', 'get 1 GiB', ['rclone', 'copyto', `ceph:${bucket}/rclone/${r}/big.bin`, `big.rclone.${r}`], rcloneEnv, { bytes: GiB });
    measure('rclone', 'put 1000 x 4 KiB', ['rclone', 'copy', 'small', `ceph:${bucket}/rclone/${r}/small`], rcloneEnv, { files: SMALL_FILES });
    measure('rclone', 'get 1000 x 4 KiB', ['rclone', 'copy', `ceph:${bucket}/rclone/${r}/small`, `small.rclone.${r}`], rcloneEnv, { files: SMALL_FILES });
  },
  async (r) => {
    const bigKey = `curl/${r}/big.bin`;
    const [bigPut, bigGet] = await Promise.all([presign(new PutObjectCommand({ Bucket: bucket, Key: bigKey })), presign(new GetObjectCommand({ Bucket: bucket, Key: bigKey }))]);
    const configs = await curlConfigs(`curl/${r}`, `small.curl.${r}`);
    // As many in flight as dfs sends small files (its --jobs default).
    const parallel = ['-Z', '--parallel-max', '128'];
    // curl asks before each upload (Expect: 100-continue), a round trip per PUT dfs does not make.
    const noExpect = ['-H', 'Expect:'];
    measure('curl', 'put 1 GiB', ['curl', '-sSf', ...noExpect, '-T', 'big.bin', '-o', '/dev/null', bigPut], process.env, { bytes: GiB });
    measure('curl', 'get 1 GiB', ['curl', '-sSf', '-o', `big.curl.${r}`, bigGet], process.env, { bytes: GiB });
    measure('curl', 'put 1000 x 4 KiB', ['curl', '-sSf', ...noExpect, ...parallel, '-K', configs.put], process.env, { files: SMALL_FILES });
    measure('curl', 'get 1000 x 4 KiB', ['curl', '-sSf', ...parallel, '--create-dirs', '-K', configs.get], process.env, { files: SMALL_FILES });
  },
];

try {
  for (let round = 1; round <= REPEAT; round++) {
    console.log(`-- round ${round} of ${REPEAT}`);
    const r = `r${round}`;
    // Each round another tool goes first, so the cost of going first (the previous round's
    // writes still settling in Ceph) does not fall on one tool. Round 1 meets a fresh store
    // whoever starts it; the median of REPEAT runs leaves that round out for every tool.
    for (let i = 0; i < tools.length; i++) await tools[(round - 1 + i) % tools.length]!(r);
    // Downloaded copies are not needed again; the page cache and the disk are.
    for (const name of [`big.dfs.${r}`, `big.sdk.${r}`, `big.rclone.${r}`, `big.curl.${r}`]) await rm(join(work, name), { force: true });
  }
  console.log(`\nmedian of ${REPEAT} (highest peak RSS):\n| tool | operation | time | rate | peak RSS |\n|---|---|---|---|---|`);
  for (const { tool, operation, amount, runs: all } of runs.values()) {
    const seconds = all.map((run) => run.seconds).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
    const peak = Math.max(...all.map((run) => run.peakRssMiB));
    console.log(`| ${tool} | ${operation} | ${seconds.toFixed(2)} s | ${rateOf(amount, seconds)} | ${peak} MiB |`);
  }
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
  await target.close();
}
