/**
 * `npm run bench`: every benchmark in turn, each in its own process so one cannot warm or
 * starve another. Pass names to run a subset: `npm run bench -- control-plane`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ALL = ['presign', 'page-hashing', 'control-plane', 'transfer'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;

let failed = false;
for (const name of chosen) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) {
    console.error(`bench: no ${file}`);
    failed = true;
    continue;
  }
  console.log(`\n== ${name}`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
