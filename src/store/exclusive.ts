import type pg from "pg";
import type { Clock, TimerHandle } from "../domain/clock.js";

/** Runs `work` alone for its key; see Store.exclusive. */
export type Exclusive = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/** The wait for a key gave up: its holder has kept it longer than the store's bound. */
export class ExclusiveTimeout extends Error {
  readonly code = "EXCLUSIVE_TIMEOUT";
  constructor(
    readonly key: string,
    waitMs: number,
  ) {
    super(`waited over ${Math.ceil(waitMs / 1000)} s for ${key}, which another task or replica holds`);
    this.name = "ExclusiveTimeout";
  }
}

export interface ExclusiveOptions {
  clock: Clock;
  /** How long a caller waits for a key before ExclusiveTimeout (the holder is never interrupted). */
  waitMs: number;
}

interface Waiter {
  resolve(): void;
  timer: TimerHandle;
}

/**
 * One holder per key in this process, the others queued in call order. A waiter gives up after
 * `waitMs` of the injected clock, so a holder stuck on a call that never answers delays the next
 * ones by a bounded time and then fails them (their caller retries), instead of hanging them.
 */
export function inProcessExclusive({ clock, waitMs }: ExclusiveOptions): Exclusive {
  const queues = new Map<string, Waiter[]>();
  const release = (key: string) => {
    const next = queues.get(key)?.shift();
    if (next) {
      next.timer.cancel();
      next.resolve();
    } else {
      queues.delete(key);
    }
  };
  const acquire = (key: string): Promise<void> => {
    const queue = queues.get(key);
    if (!queue) {
      queues.set(key, []);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: clock.setTimer(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(new ExclusiveTimeout(key, waitMs));
        }, waitMs),
      };
      queue.push(waiter);
    });
  };
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    await acquire(key);
    try {
      return await work();
    } finally {
      release(key);
    }
  };
}

/** SQLSTATE lock_not_available: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * Across replicas: a session-level `pg_advisory_lock` on a connection of the pool, held for the
 * work and released after it, whether it returned or threw. A connection whose release could not be
 * confirmed is destroyed rather than pooled, so a lock can never linger on a reused connection; a
 * replica that dies mid-work loses its session, and PostgreSQL releases the lock with it.
 *
 * The wait is bounded by `lock_timeout` rather than a try-lock loop: PostgreSQL queues the waiters
 * and wakes the next one the moment the lock is released (no polling delay, no load while waiting),
 * and the server enforces the bound even if this process is busy.
 *
 * Callers of one key in this process queue here first, so a burst of revokes of one role waits on
 * one pooled connection, not on all of them (the rest of the bot keeps its connections).
 */
export function postgresExclusive(pool: pg.Pool, schema: string, options: ExclusiveOptions): Exclusive {
  const local = inProcessExclusive(options);
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const started = options.clock.now().getTime();
    return local(key, async () => {
      const remaining = Math.max(1, options.waitMs - (options.clock.now().getTime() - started));
      // Per schema: two jitbots sharing a database never wait on each other.
      const name = `jitbot:${schema}:${key}`;
      const client = await pool.connect();
      // Pooled again only once the lock is known to be released; otherwise destroyed.
      let reusable = false;
      try {
        if (!(await lockWithin(client, name, remaining))) {
          reusable = true;
          throw new ExclusiveTimeout(key, options.waitMs);
        }
        try {
          return await work();
        } finally {
          reusable = await unlock(client, name);
        }
      } finally {
        client.release(!reusable);
      }
    });
  };
}

/** False when lock_timeout ran out first; the session's lock_timeout is back to none either way. */
async function lockWithin(client: pg.PoolClient, name: string, waitMs: number): Promise<boolean> {
  await client.query("SELECT set_config('lock_timeout', $1, false)", [`${Math.ceil(waitMs)}ms`]);
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
    throw error;
  } finally {
    await client.query("SELECT set_config('lock_timeout', '0', false)");
  }
}

/** True when PostgreSQL confirms the lock was held and is now released; never throws. */
async function unlock(client: pg.PoolClient, name: string): Promise<boolean> {
  try {
    const answer = await client.query<{ released: boolean }>(
      "SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS released",
      [name],
    );
    return answer.rows[0]?.released === true;
  } catch {
    return false;
  }
}
