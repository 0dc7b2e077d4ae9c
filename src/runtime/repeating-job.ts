/**
 * A job run every `intervalMs`, counted from the end of the last run: a run slower than the
 * interval (cleanup waiting on a stalled store) is never joined by a second one doing the same
 * work and reporting it again. A run that fails is told to `onError`, and the next one comes.
 */
export function repeatEvery(intervalMs: number, job: () => Promise<void>, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      running = Promise.resolve()
        .then(job)
        .catch(onError)
        .finally(() => {
          running = null;
          if (!stopped) schedule();
        });
    }, intervalMs);
    // The process may exit between runs.
    timer.unref();
  };
  schedule();
  return {
    // Closing waits for a run under way, so it never finds the index closed under it.
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
