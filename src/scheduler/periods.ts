import { summaryWeek } from "./break-glass-summary.js";

/** The jobs that run once per period across all replicas, and how long their period is. */
export type PeriodicJob = "audit-anchor" | "drift" | "reap" | "break-glass-summary";

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * The period a run of `job` at `now` (UTC) belongs to: the day of the daily audit anchor, the hour
 * of the drift report, the quarter-hour slot of the reaper. The first replica to claim a period
 * runs it. The reaper's cron fires on the slot boundary itself, so its slot is the nearest one: a
 * replica whose clock runs a little behind still names the slot every other replica names.
 */
export function periodOf(job: PeriodicJob, now: Date): string {
  const iso = (at: Date) => at.toISOString();
  if (job === "audit-anchor") return iso(now).slice(0, 10);
  if (job === "drift") return iso(now).slice(0, 13);
  // The week it reports ends on this Monday (UTC): one summary a week, whoever runs first in it.
  if (job === "break-glass-summary") return `week-to-${iso(summaryWeek(now).to).slice(0, 10)}`;
  return iso(new Date(Math.round(now.getTime() / QUARTER_HOUR_MS) * QUARTER_HOUR_MS)).slice(0, 16);
}
