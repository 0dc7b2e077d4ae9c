/**
 * The embedded S3 server's key pair. s3rver ships one built-in key (S3RVER / S3RVER) that anyone
 * can sign with; the embedded store uses its own random pair instead, kept beside the index in a
 * 0600 file so that presigned URLs handed out before a restart still work after it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartError, fileProblem } from './start-error.ts';

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
  const kept = await readKept(file);
  if (kept !== null) return kept;
  const made = randomCredentials();
  await writeFile(file, `${JSON.stringify(made)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return made;
}

/**
 * The pair kept by an earlier start; null when there is none yet. A file that is there but will
 * not do is not replaced unasked: the operator may want it back, so the message says what
 * removing it costs (the stored objects do not depend on the key; the URLs signed with it do).
 */
async function readKept(file: string): Promise<S3Credentials | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StartError(`cannot read the embedded S3 server's key in ${file} (${fileProblem(error)})`);
  }
  let kept: Partial<S3Credentials> | null = null;
  try {
    kept = JSON.parse(text) as Partial<S3Credentials> | null;
  } catch {
    // Left null: damaged, as a file of another shape.
  }
  if (typeof kept?.accessKeyId === 'string' && typeof kept.secretAccessKey === 'string') return { accessKeyId: kept.accessKeyId, secretAccessKey: kept.secretAccessKey };
  throw new StartError(
    `the embedded S3 server's key in ${file} is damaged (not JSON with accessKeyId and secretAccessKey): remove the file to have a new key made (the stored files stay; URLs handed out before stop working)`,
  );
}
