/**
 * A listen the host refused, as one line naming the variable to change: Node's own messages
 * ("listen EADDRINUSE: address already in use 127.0.0.1:8787", "getaddrinfo ENOTFOUND x") name
 * none, and this process listens twice (the API, the embedded S3 server).
 */
import { StartError } from './start-error.ts';

export interface Listening {
  /** Whose port it is: "the API", "the embedded S3 server". */
  who: string;
  host: string;
  port: number;
  portVariable: string;
}

export function listenRefused(error: unknown, { who, host, port, portVariable }: Listening): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartError(`${who}'s port ${address} is in use: set ${portVariable} to another`);
    case 'EACCES':
      return new StartError(`${who} may not listen on ${address} (permission denied): set ${portVariable} to a port above 1023`);
    case 'EADDRNOTAVAIL':
      return new StartError(`DFS_HOST: ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new StartError(`DFS_HOST: ${host} is not a name this machine can resolve (getaddrinfo ${code})`);
    default:
      return new StartError(`${who} cannot listen on ${address}: ${(error as Error).message}`);
  }
}
