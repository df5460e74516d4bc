import { describe, expect, it } from "vitest";
import { type PeriodicJob, periodOf } from "./periods.js";

describe("periodOf", () => {
  const cases: [string, PeriodicJob, string, string][] = [
    ["the anchor's period is the UTC day", "audit-anchor", "2026-03-02T03:13:00.000Z", "2026-03-02"],
    [
      "a start-up anchor late in the day falls in the same day",
      "audit-anchor",
      "2026-03-02T23:59:59.999Z",
      "2026-03-02",
    ],
    ["the drift report's period is the UTC hour", "drift", "2026-03-02T10:07:00.000Z", "2026-03-02T10"],
    ["the reaper's period is its quarter-hour slot", "reap", "2026-03-02T10:15:00.000Z", "2026-03-02T10:15"],
    ["a reaper whose clock runs behind names the same slot", "reap", "2026-03-02T10:14:58.500Z", "2026-03-02T10:15"],
    ["a reaper whose clock runs ahead names the same slot", "reap", "2026-03-02T10:15:02.000Z", "2026-03-02T10:15"],
    ["the slot after midnight", "reap", "2026-03-02T23:59:59.000Z", "2026-03-03T00:00"],
    [
      "the break-glass summary's period is the week it reports, ending on Monday 00:00 UTC",
      "break-glass-summary",
      "2026-03-02T00:17:00.000Z",
      "week-to-2026-03-02",
    ],
    [
      "later in the same week names the same week",
      "break-glass-summary",
      "2026-03-08T23:59:59.000Z",
      "week-to-2026-03-02",
    ],
    ["the next Monday starts the next", "break-glass-summary", "2026-03-09T00:00:00.000Z", "week-to-2026-03-09"],
  ];
  it.each(cases)("%s", (_, job, now, period) => {
    expect(periodOf(job, new Date(now))).toBe(period);
  });
});
