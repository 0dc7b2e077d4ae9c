/**
 * The embedded S3 server's key pair. s3rver ships one built-in key (S3RVER / S3RVER) that anyone
 * can sign with; the embedded store uses its own random pair instead, kept beside the index in a
 * 0600 file so that presigned URLs handed out before a restart still work after it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export const randomCredentials = (): S3Credentials => ({
  accessKeyId: `DFS${randomBytes(10).toString('hex').toUpperCase().slice(0, 17)}`,
  secretAccessKey: randomBytes(30).toString('base64url'),
});

export async function embeddedCredentials(dataDir: string): Promise<S3Credentials> {
  const file = join(dataDir, 'embedded-s3-credentials.json');
  const kept = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as Partial<S3Credentials>,
    () => null,
  );
  if (typeof kept?.accessKeyId === 'string' && typeof kept.secretAccessKey === 'string') return { accessKeyId: kept.accessKeyId, secretAccessKey: kept.secretAccessKey };
  const made = randomCredentials();
  await writeFile(file, `${JSON.stringify(made)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return made;
}
