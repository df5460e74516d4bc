import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { ExpiryTimer } from "../../src/scheduler/expiry-timer.js";

/**
 * The timer alone, against a fake "database" of due times: when does it fire again? A sweep that
 * throws, or leaves a grant due (in flight elsewhere), must not make it fire again at once, forever.
 */
describe("the expiry timer", () => {
  const cases = [
    { name: "fires exactly at a future due time", outcome: "ok" as const, leftDue: false, next: 0 },
    {
      name: "after a sweep that threw, waits 5 s before trying again",
      outcome: "throws" as const,
      leftDue: true,
      next: 5_000,
    },
    {
      name: "after a sweep that left a grant due, looks again 1 s later",
      outcome: "ok" as const,
      leftDue: true,
      next: 1_000,
    },
  ];
  for (const { name, outcome, leftDue, next } of cases) {
    it(name, async () => {
      const clock = new ManualClock("2026-03-02T09:00:00.000Z");
      const start = clock.now().getTime();
      let due: number | undefined = start + 10_000;
      const fired: number[] = [];
      const timer = new ExpiryTimer(
        clock,
        async () => (due === undefined ? undefined : new Date(due)),
        async () => {
          fired.push(clock.now().getTime() - start);
          if (!leftDue) due = fired.length === 1 ? start + 10_000 + next + 30_000 : undefined;
          if (outcome === "throws") throw new Error("database is locked");
        },
        () => undefined,
      );
      await timer.rearm();
      await clock.advance(9_999);
      expect(fired).toEqual([]);
      await clock.advance(1);
      expect(fired).toEqual([10_000]);
      await clock.advance(60_000);
      const expected = leftDue ? 10_000 + next : 10_000 + 30_000;
      expect(fired[1]).toBe(expected);
      // Never more than one fire per hold-back interval while the grant stays due.
      if (leftDue) expect(fired.length).toBeLessThanOrEqual(1 + 60_000 / next);
      timer.stop();
    });
  }
});
