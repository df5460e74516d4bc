import type { ManualClock } from "../../src/domain/clock.js";
import type { Store } from "../../src/store/index.js";

/**
 * Moves the clock in small steps while `work` waits on it (read-back retries), so those waits come
 * due; while nothing waits on the clock, the work is doing real I/O with the fakes and time stands
 * still, so measured waits are exact. Between steps it yields to real I/O, as waitFor does.
 */
export async function driveClock<T>(clock: ManualClock, work: Promise<T>, stepMs = 100, maxSteps = 2_000): Promise<T> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  for (let step = 0; !done && step < maxSteps; step++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (!done && clock.pendingTimers() > 0) await clock.advance(stepMs);
  }
  return settled;
}

/** The audit rows of one request, with their parsed detail. */
export async function auditOf(
  store: Store,
  requestId: string,
): Promise<{ action: string; detail: Record<string, unknown> }[]> {
  // What other writes committed and are still linking into the chain (PostgreSQL) counts too.
  await store.linkAudits();
  const rows = await store.kysely
    .selectFrom("audit_events")
    .select(["action", "detail"])
    .where("request_id", "=", requestId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => ({ action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** One series of a counter, read from the Prometheus text. */
export function counterValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}
