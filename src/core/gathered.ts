/**
 * Calls a batch's items make one by one, answered together: those made in one turn of the
 * event loop go to the index as one call, so a batch of a thousand files costs a few queries
 * rather than a few per file (D1 counts each). Nothing is remembered past its turn: an item
 * that asks again later (to see what a racing request did) is answered afresh.
 */
export function gathered<Key, Value>(callAll: (keys: Key[]) => Promise<Map<Key, Value>>): (key: Key) => Promise<Value | null> {
  let waiting: { key: Key; resolve: (value: Value | null) => void; reject: (reason: unknown) => void }[] = [];
  const answerWaiting = async () => {
    const taken = waiting;
    waiting = [];
    try {
      const answers = await callAll([...new Set(taken.map(({ key }) => key))]);
      for (const { key, resolve } of taken) resolve(answers.get(key) ?? null);
    } catch (error) {
      for (const { reject } of taken) reject(error);
    }
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (waiting.length === 0) setTimeout(() => void answerWaiting(), 0);
      waiting.push({ key, resolve, reject });
    });
}
