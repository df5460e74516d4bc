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

/**
 * forEachLimited for works with a tail that needs no slot: `work` calls `release` when the rest of
 * it may run beside the next item (the revoker's read-back, which waits for others to join its call).
 * At most `limit` works are before their release at once, and at most `total` are started and not
 * finished (tails included: their writes still come, and must not crowd out everything else).
 * All are finished when this resolves. A work that throws stops new ones from starting, and the
 * first error is thrown once the started ones have finished.
 */
export async function forEachReleasing<T>(
  items: readonly T[],
  limit: number,
  total: number,
  work: (item: T, release: () => void) => Promise<void>,
): Promise<void> {
  const started: Promise<void>[] = [];
  let free = Math.max(1, limit);
  let room = Math.max(free, total);
  let failed = false;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    wake?.();
    wake = undefined;
  };
  for (const item of items) {
    while ((free === 0 || room === 0) && !failed) await new Promise<void>((resolve) => (wake = resolve));
    if (failed) break;
    free--;
    room--;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      free++;
      wakeUp();
    };
    const finished = () => {
      release();
      room++;
      wakeUp();
    };
    const done = work(item, release).then(finished, (error: unknown) => {
      failed = true;
      finished();
      throw error;
    });
    // Held until Promise.all below reports it: a rejection must not count as unhandled meanwhile.
    done.catch(() => undefined);
    started.push(done);
  }
  await Promise.all(started);
}

/** Exponential backoff with jitter: 5 s, 10 s, 20 s … capped at 15 min, each scaled by 0.5–1.0. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempt), 15 * 60_000);
  return Math.round(base * (0.5 + random() * 0.5));
}

/**
 * Runs `work` alone for its key: the read-modify-write of one cloud object (an IAM role's inline
 * policy) must not interleave with another. The store offers one that holds across replicas.
 */
export type KeyedLock = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/** A KeyedLock within this process: each key's works run one after another, in call order. */
export function serialisedByKey(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    tails.set(key, settled);
    // `settled` never rejects, and the clean-up only has to happen some time after it.
    void settled.then(() => {
      if (tails.get(key) === settled) tails.delete(key);
    });
    return next;
  };
}
