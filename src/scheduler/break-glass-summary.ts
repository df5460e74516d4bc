import type { Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import type { Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";

const DAY_MS = 86_400_000;

/**
 * The week a summary run at `now` reports: the last full week, Monday 00:00 to Monday 00:00 UTC.
 * Its end names the period, so whichever replica first runs in a week posts it, once.
 */
export function summaryWeek(now: Date): { from: Date; to: Date } {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const sinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
  const to = midnight - sinceMonday * DAY_MS;
  return { from: new Date(to - 7 * DAY_MS), to: new Date(to) };
}

/**
 * Each profile's break-glass uses of the last week, to its approval channel: who, when, why, and
 * who confirmed or how it ended. A profile that allows break glass hears "none" too: silence
 * would not tell an auditor whether the summary ran.
 */
export async function postBreakGlassSummary(deps: {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  policy: Policy;
}): Promise<void> {
  const week = summaryWeek(deps.clock.now());
  const uses = await deps.store.breakGlass.usesBetween(week.from, week.to);
  for (const profile of deps.policy.profiles) {
    const own = uses.filter((use) => use.request.profileId === profile.id);
    if (!profile.breakGlass && own.length === 0) continue;
    await deps.notifier.breakGlassSummary(profile, own, week);
  }
}
