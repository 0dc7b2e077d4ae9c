/** Starts `src/runtime/node.ts` in a child process, as `npm start` does, for benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['src/runtime/node.ts'], {
    env: { ...process.env, DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0', DFS_LOG: 'off', DFS_CLEANUP_INTERVAL: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /serving (\S+)/.exec(stderr)?.[1];
      if (url && stderr.includes('try:')) {
        resolve({
          url,
          child,
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}
