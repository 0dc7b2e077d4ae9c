/** Transfers bound for one destination: the CLI's and the page's, whichever way they go. */

/**
 * The plans bound for a destination another one is bound for too, by destination. Either would
 * lose the other, in an order nobody chose: none of them may go.
 */
export function sharedDestinations<T>(plans: readonly T[], destinationOf: (plan: T) => string): Map<string, T[]> {
  const byDestination = new Map<string, T[]>();
  for (const plan of plans) {
    const destination = destinationOf(plan);
    const same = byDestination.get(destination);
    if (same) same.push(plan);
    else byDestination.set(destination, [plan]);
  }
  for (const [destination, same] of byDestination) if (same.length === 1) byDestination.delete(destination);
  return byDestination;
}
