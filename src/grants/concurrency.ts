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
 * Works with a tail that needs no slot: a work calls `release` when the rest of it may run beside
 * the next one (the revoker's read-back, which waits for others to join its call). At most `limit`
 * works are before their release at once, and at most `total` are started and not finished (tails
 * included: their writes still come, and must not crowd out everything else). A work that throws
 * stops new ones from starting; `finished()` throws the first error once the started ones are done.
 */
export class ReleasingPool {
  private readonly started: Promise<void>[] = [];
  private free: number;
  private room: number;
  private failed = false;
  private wake: (() => void) | undefined;

  constructor(limit: number, total: number) {
    this.free = Math.max(1, limit);
    this.room = Math.max(this.free, total);
  }

  /** Starts `work` once a slot and room are free; false (and nothing started) after a work threw. */
  async start(work: (release: () => void) => Promise<void>): Promise<boolean> {
    while ((this.free <= 0 || this.room <= 0) && !this.failed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failed) return false;
    this.free--;
    this.room--;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.free++;
      this.wakeUp();
    };
    const finished = () => {
      release();
      this.room++;
      this.wakeUp();
    };
    const done = work(release).then(finished, (error: unknown) => {
      this.failed = true;
      finished();
      throw error;
    });
    // Held until finished() reports it: a rejection must not count as unhandled meanwhile.
    done.catch(() => undefined);
    this.started.push(done);
    return true;
  }

  /** Every started work has finished; throws the first error of any. */
  async finished(): Promise<void> {
    await Promise.all(this.started);
  }

  private wakeUp(): void {
    this.wake?.();
    this.wake = undefined;
  }
}

/** ReleasingPool over a list: all are finished (or the first error thrown) when this resolves. */
export async function forEachReleasing<T>(
  items: readonly T[],
  limit: number,
  total: number,
  work: (item: T, release: () => void) => Promise<void>,
): Promise<void> {
  const pool = new ReleasingPool(limit, total);
  for (const item of items) if (!(await pool.start((release) => work(item, release)))) break;
  await pool.finished();
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
