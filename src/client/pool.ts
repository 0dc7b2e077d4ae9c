/** Runs tasks with at most `limit` in flight; the first failure stops new starts and is thrown. */
export async function runPool<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw failure;
}

/** Runs a task when fewer than its limit of tasks are running. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** No limit: for work that is not shared with anything else. */
export const unlimited: Limiter = (task) => task();

/** A limit shared by work started from many places: at most `limit` tasks run at once. */
export function createLimiter(limit: number): Limiter {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
