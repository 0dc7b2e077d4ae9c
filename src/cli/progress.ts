/**
 * Transfer progress on stderr: a bar per file in flight and one for the total, with rate and
 * ETA, only when stderr is a terminal (logs and pipes get no animation); and a line for each
 * failed try that is tried again, above the bars or alone, so a transfer that waits on a store
 * in trouble says why (all but --quiet).
 */
import cliProgress from 'cli-progress';
import { formatBytes } from '../client/format.ts';
import { RETRY_ATTEMPTS } from '../client/retry.ts';
import { shown } from './output.ts';

export interface FileProgress {
  add(bytes: number): void;
  done(): void;
}

export class Progress {
  readonly #bars: cliProgress.MultiBar | null;
  readonly #total: cliProgress.SingleBar | null;
  readonly #quiet: boolean;
  readonly #started = Date.now();
  #bytes = 0;

  constructor(totalBytes: number, options: { progress: boolean; quiet: boolean }) {
    this.#quiet = options.quiet;
    if (!options.progress) {
      this.#bars = null;
      this.#total = null;
      return;
    }
    this.#bars = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        format: (options, params, payload: { name: string }) => {
          const bar = cliProgress.Format.BarFormat(params.progress, options);
          const elapsed = (Date.now() - this.#started) / 1000;
          const rate = params.value / Math.max(elapsed, 0.001);
          const eta = rate > 0 ? Math.round((params.total - params.value) / rate) : 0;
          return `${bar} ${formatBytes(params.value)}/${formatBytes(params.total)} ${formatBytes(rate)}/s ETA ${eta}s ${payload.name}`;
        },
      },
      cliProgress.Presets.shades_classic,
    );
    this.#total = this.#bars.create(Math.max(totalBytes, 1), 0, { name: 'total' });
  }

  /** Bytes of a file too small for a bar of its own: they count in the total only. */
  add(bytes: number): void {
    this.#bytes += bytes;
    this.#total?.update(this.#bytes);
  }

  file(name: string, size: number): FileProgress {
    const bar = this.#bars?.create(Math.max(size, 1), 0, { name: shown(name) }) ?? null;
    return {
      add: (bytes) => {
        bar?.increment(bytes);
        this.add(bytes);
      },
      done: () => {
        if (bar) this.#bars!.remove(bar);
      },
    };
  }

  /** An onRetry for the transfers of `what` (a file, or the files of a batch). */
  retrying(what: string): (error: unknown, attempt: number) => void {
    return (error, attempt) => {
      if (this.#quiet) return;
      const line = retryLine(what, error, attempt);
      if (this.#bars) this.#bars.log(line);
      else process.stderr.write(line);
    };
  }

  stop(): void {
    this.#bars?.stop();
  }
}

/** An onRetry for what comes before any bar (looking at the destination): the same lines, all but --quiet. */
export function retryNotice(what: string, options: { quiet: boolean }): (error: unknown, attempt: number) => void {
  return (error, attempt) => {
    if (!options.quiet) process.stderr.write(retryLine(what, error, attempt));
  };
}

function retryLine(what: string, error: unknown, attempt: number): string {
  // Past the tries of its own, a file waits with every other for the store (outage.ts).
  const turn = attempt < RETRY_ATTEMPTS ? `${attempt + 1} of ${RETRY_ATTEMPTS}` : `${attempt + 1}: the store fails every request`;
  return `dfs: ${shown(what)}: ${error instanceof Error ? error.message : String(error)}; trying again (${turn})\n`;
}
