/** Runs `work` over `items` with at most `limit` in flight at once. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Exponential backoff with jitter: 5 s, 10 s, 20 s … capped at 15 min, each scaled by 0.5–1.0. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempt), 15 * 60_000);
  return Math.round(base * (0.5 + random() * 0.5));
}
