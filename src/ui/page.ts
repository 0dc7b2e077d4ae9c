/** What the page's panels need of it: who is signed in, which folder is on screen, how to report. */
import type { DfsClient } from '../client/api-client.ts';
import type { Scope } from '../client/api-types.ts';

export interface Page {
  /** The signed-in session's client; another one (or null) once that session ended. */
  readonly client: DfsClient | null;
  /** The folder on screen. */
  readonly folder: string;
  may(scope: Scope): boolean;
  /** Lists the folder on screen again. */
  reload(): Promise<unknown>;
  /** Tells of a failure (and signs out on a token no longer valid). */
  fail(error: unknown): void;
  /** Tells of an action that failed, and shows the folder as it is now when another client changed it. */
  actionFailed(error: unknown): void;
}
