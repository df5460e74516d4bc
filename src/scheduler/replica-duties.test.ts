import { describe, expect, it } from "vitest";
import { ManualClock } from "../domain/clock.js";
import { ReplicaDuties } from "./replica-duties.js";
import type { SchedulerDeps } from "./scheduler.js";

/**
 * The heartbeat's cadence against a store whose lease renewal can be held (test/replicas covers
 * the whole bot on PostgreSQL): a beat every 10 s of the clock however slow the database is, and
 * never two renewals at once.
 */
function rig() {
  const clock = new ManualClock("2026-03-02T09:00:00.000Z");
  const start = clock.now().getTime();
  const renewals: number[] = [];
  const endsAsked: number[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  let renewing = 0;
  let overlapped = false;
  const store = {
    grants: {
      async renewLeases() {
        renewals.push(clock.now().getTime() - start);
        renewing++;
        if (renewing > 1) overlapped = true;
        try {
          if (hold) await new Promise<void>((resolve) => held.push(resolve));
        } finally {
          renewing--;
        }
      },
      untold: async () => [],
      untoldFailures: async () => [],
      async untoldEnds(ended: { until: Date }) {
        endsAsked.push(ended.until.getTime() + 30_000 - start);
        return [];
      },
    },
    heartbeat: async () => undefined,
    linkAudits: async () => true,
    requests: { listByStatus: async () => [] },
  };
  const engine = { reconcile: async () => undefined, track: (_work: Promise<void>) => undefined };
  const logger = { error: () => undefined, warn: () => undefined };
  const duties = new ReplicaDuties({
    store,
    engine,
    clock,
    logger,
    policy: {},
    cron: false,
  } as unknown as SchedulerDeps);
  return {
    clock,
    duties,
    renewals,
    endsAsked,
    overlapped: () => overlapped,
    hold: (on: boolean) => {
      hold = on;
    },
    releaseAll: () => {
      for (const release of held.splice(0)) release();
    },
  };
}

/** Lets settled promises hand over to what waits on them (no time passes). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("a replica's heartbeat", () => {
  it("beats every 10 s of the clock while each renewal takes longer than a beat", async () => {
    const r = rig();
    r.hold(true);
    r.duties.start();
    await flush();
    for (let i = 0; i < 3; i++) {
      await r.clock.advance(10_000);
      await flush();
    }
    // The first renewal is still held: the beats at 10, 20 and 30 s came anyway and did their
    // chores, each without a second renewal beside it. (Armed after the renewal, none came.)
    expect(r.renewals).toEqual([0]);
    expect(r.endsAsked).toEqual([10_000, 20_000, 30_000]);
    expect(r.overlapped()).toBe(false);
    r.hold(false);
    r.releaseAll();
    await flush();
    await r.clock.advance(10_000);
    await flush();
    expect(r.renewals).toEqual([0, 40_000]);
    expect(r.endsAsked).toEqual([10_000, 20_000, 30_000, 0, 40_000]);
    r.duties.stop();
  });

  it("keeps its 10 s phase when a renewal ends between beats", async () => {
    const r = rig();
    r.hold(true);
    r.duties.start();
    await flush();
    // The renewal answers 3 s late; the next beats still come at 10, 20 and 30 s.
    await r.clock.advance(3_000);
    r.hold(false);
    r.releaseAll();
    await flush();
    for (let i = 0; i < 3; i++) {
      await r.clock.advance(i === 0 ? 7_000 : 10_000);
      await flush();
    }
    expect(r.renewals).toEqual([0, 10_000, 20_000, 30_000]);
    // Each beat's chores ask from the beat's own time.
    expect(r.endsAsked).toEqual([0, 10_000, 20_000, 30_000]);
    r.duties.stop();
  });

  it("beats no more once stopped, even when a renewal was under way", async () => {
    const r = rig();
    r.hold(true);
    r.duties.start();
    await flush();
    r.duties.stop();
    r.hold(false);
    r.releaseAll();
    await flush();
    await r.clock.advance(60_000);
    await flush();
    expect(r.renewals).toEqual([0]);
    expect(r.endsAsked).toEqual([]);
  });
});
