import { describe, expect, it } from "vitest";
import { ManualClock } from "../domain/clock.js";
import { ExpiryTimer } from "./expiry-timer.js";

/**
 * The timer's promises, each against a fake "database" of due times (test/expiry covers the whole
 * bot): one sweep at a time, nothing armed when nothing is due, nothing after stop, and a hold-back
 * that only ever applies to what the last sweep already saw.
 */
function rig(firstDue: number | undefined) {
  const clock = new ManualClock("2026-03-02T09:00:00.000Z");
  const start = clock.now().getTime();
  const db = { due: firstDue === undefined ? undefined : start + firstDue };
  const sweeps: number[] = [];
  let running = 0;
  let overlapped = false;
  let release: (() => void) | undefined;
  let holdSweeps = false;
  let failNext = false;
  const errors: string[] = [];
  const timer = new ExpiryTimer(
    clock,
    async () => (db.due === undefined ? undefined : new Date(db.due)),
    async () => {
      sweeps.push(clock.now().getTime() - start);
      running++;
      if (running > 1) overlapped = true;
      try {
        if (holdSweeps) await new Promise<void>((resolve) => (release = resolve));
        if (failNext) {
          failNext = false;
          throw new Error("database is locked");
        }
        // A sweep revokes what is due now; later grants stay.
        if (db.due !== undefined && db.due <= clock.now().getTime()) db.due = undefined;
      } finally {
        running--;
      }
    },
    (error) => errors.push(String(error)),
  );
  return {
    errors,
    clock,
    start,
    db,
    sweeps,
    timer,
    overlapped: () => overlapped,
    holdSweeps: (on: boolean) => {
      holdSweeps = on;
    },
    failNext: () => {
      failNext = true;
    },
    release: () => release?.(),
  };
}

/** Lets settled promises hand over to what waits on them (no time passes). */
async function settled(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("the expiry timer", () => {
  it("arms nothing when nothing is due, and arms for a grant once it exists", async () => {
    const r = rig(undefined);
    await r.timer.rearm();
    expect(r.clock.pendingTimers()).toBe(0);
    r.db.due = r.start + 2_000;
    await r.timer.rearm();
    expect(r.clock.pendingTimers()).toBe(1);
    await r.clock.advance(2_000);
    expect(r.sweeps).toEqual([2_000]);
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it("re-arms for an earlier grant, and does not fire for the later one it replaced", async () => {
    const r = rig(10_000);
    await r.timer.rearm();
    r.db.due = r.start + 4_000;
    await r.timer.rearm();
    await r.clock.advance(10_000);
    expect(r.sweeps).toEqual([4_000]);
  });

  it("runs one sweep at a time: a re-arm during a sweep waits for its end", async () => {
    const r = rig(1_000);
    r.holdSweeps(true);
    await r.timer.rearm();
    await r.clock.advance(1_000);
    expect(r.sweeps).toEqual([1_000]);
    // A grant became due while the sweep runs (an approval landed): no second sweep yet.
    r.db.due = r.start + 1_500;
    await r.timer.rearm();
    await r.clock.advance(2_000);
    expect(r.sweeps).toEqual([1_000]);
    r.holdSweeps(false);
    r.release();
    await r.clock.advance(10_000);
    expect(r.overlapped()).toBe(false);
    // The running sweep revoked it on its way out: it read the store after the grant fell due.
    expect(r.sweeps).toEqual([1_000]);
    expect(r.db.due).toBeUndefined();
  });

  it("does not hold back a grant that fell due after the last sweep started", async () => {
    const r = rig(1_000);
    await r.timer.rearm();
    await r.clock.advance(1_000);
    r.db.due = r.start + 1_200;
    await r.timer.rearm();
    await r.clock.advance(200);
    expect(r.sweeps).toEqual([1_000, 1_200]);
  });

  it("after a sweep threw, waits 5 s even for a grant that fell due since", async () => {
    const r = rig(1_000);
    r.failNext();
    await r.timer.rearm();
    await r.clock.advance(1_000);
    r.db.due = r.start + 1_200;
    await r.timer.rearm();
    await r.clock.advance(4_999);
    expect(r.sweeps).toEqual([1_000]);
    await r.clock.advance(1);
    expect(r.sweeps).toEqual([1_000, 6_000]);
    expect(r.errors).toEqual(["Error: database is locked"]);
  });

  it("after a sweep threw, a grant due later than the 5 s wait still fires at its own time", async () => {
    const r = rig(1_000);
    r.failNext();
    await r.timer.rearm();
    await r.clock.advance(1_000);
    // The failed sweep left the grant due at 1 s; it was revoked meanwhile and the next is due at 9 s.
    r.db.due = r.start + 9_000;
    await r.timer.rearm();
    await r.clock.advance(7_999);
    expect(r.sweeps).toEqual([1_000]);
    await r.clock.advance(1);
    expect(r.sweeps).toEqual([1_000, 9_000]);
  });

  it("stays stopped: neither a sweep that was running nor a re-arm arms it again", async () => {
    const r = rig(1_000);
    r.holdSweeps(true);
    await r.timer.rearm();
    await r.clock.advance(1_000);
    r.timer.stop();
    r.db.due = r.start + 1_500;
    r.holdSweeps(false);
    r.release();
    await r.clock.advance(0);
    await r.timer.rearm();
    expect(r.clock.pendingTimers()).toBe(0);
    await r.clock.advance(60_000);
    expect(r.sweeps).toEqual([1_000]);
  });

  it("a re-arm during a read in flight is answered by a read that starts after it: the fresher answer arms", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const start = clock.now().getTime();
    const answers: ((due: Date | undefined) => void)[] = [];
    const sweeps: number[] = [];
    const timer = new ExpiryTimer(
      clock,
      () => new Promise<Date | undefined>((resolve) => answers.push(resolve)),
      async () => {
        sweeps.push(clock.now().getTime() - start);
      },
      () => undefined,
    );
    const older = timer.rearm();
    const newer = timer.rearm();
    expect(answers).toHaveLength(1);
    answers[0]?.(new Date(start + 1_000));
    await older;
    // The newer read starts only now, and sees the grant revoked since: nothing is due any more.
    await settled();
    expect(answers).toHaveLength(2);
    answers[1]?.(undefined);
    await newer;
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(5_000);
    expect(sweeps).toEqual([]);
  });

  it("a burst of change notices during a re-read costs two reads, not one each, and arms for the last", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const start = clock.now().getTime();
    const answers: ((due: Date | undefined) => void)[] = [];
    const timer = new ExpiryTimer(
      clock,
      () => new Promise<Date | undefined>((resolve) => answers.push(resolve)),
      async () => undefined,
      () => undefined,
    );
    const first = timer.rearm();
    const burst = Array.from({ length: 100 }, () => timer.rearm());
    answers[0]?.(new Date(start + 5_000));
    await first;
    await settled();
    expect(answers).toHaveLength(2);
    answers[1]?.(new Date(start + 1_000));
    await Promise.all(burst);
    expect(answers).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(1_000);
    expect(clock.pendingTimers()).toBe(0);
    timer.stop();
  });

  it("arms nothing from a re-read that answers after stop()", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const start = clock.now().getTime();
    const answers: ((due: Date | undefined) => void)[] = [];
    const sweeps: number[] = [];
    const timer = new ExpiryTimer(
      clock,
      () => new Promise<Date | undefined>((resolve) => answers.push(resolve)),
      async () => {
        sweeps.push(clock.now().getTime() - start);
      },
      () => undefined,
    );
    const reading = timer.rearm();
    // Shutdown begins while the store is still answering.
    timer.stop();
    answers[0]?.(new Date(start + 1_000));
    await reading;
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(5_000);
    expect(sweeps).toEqual([]);
  });

  it("arms nothing from a re-read that answers while a sweep runs: no second sweep beside it", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const start = clock.now().getTime();
    const answers: ((due: Date | undefined) => void)[] = [];
    const sweeps: number[] = [];
    let running = 0;
    let overlapped = false;
    let release: (() => void) | undefined;
    const timer = new ExpiryTimer(
      clock,
      () => new Promise<Date | undefined>((resolve) => answers.push(resolve)),
      async () => {
        sweeps.push(clock.now().getTime() - start);
        running++;
        if (running > 1) overlapped = true;
        await new Promise<void>((resolve) => (release = resolve));
        running--;
      },
      () => undefined,
    );
    const first = timer.rearm();
    answers[0]?.(new Date(start + 1_000));
    await first;
    // An approval re-reads; before the store answers, the timer fires and its sweep starts.
    const reading = timer.rearm();
    await clock.advance(1_000);
    expect(sweeps).toEqual([1_000]);
    answers[1]?.(new Date(start + 1_000));
    await reading;
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(1_000);
    expect(sweeps).toEqual([1_000]);
    expect(overlapped).toBe(false);
    release?.();
    timer.stop();
  });

  it("does not query the store for a re-arm while a sweep runs or after stop()", async () => {
    const r = rig(1_000);
    let reads = 0;
    let readsDuringSweep: number | undefined;
    const timer = new ExpiryTimer(
      r.clock,
      async () => {
        reads++;
        return r.db.due === undefined ? undefined : new Date(r.db.due);
      },
      async () => {
        // An approval's re-arm lands while the sweep runs: the sweep's end reads the store anyway.
        await timer.rearm();
        readsDuringSweep = reads;
        r.db.due = undefined;
      },
      () => undefined,
    );
    await timer.rearm();
    await r.clock.advance(1_000);
    expect(readsDuringSweep).toBe(1);
    expect(reads).toBe(2);
    // After shutdown the store may be closed already: a late re-arm must not touch it.
    timer.stop();
    await timer.rearm();
    expect(reads).toBe(2);
  });

  it("keeps the timer it has when a re-read finds the same due time (no new timer per approval)", async () => {
    const r = rig(10_000);
    let armed = 0;
    const counting = {
      now: () => r.clock.now(),
      setTimer: (callback: () => void, delayMs: number) => {
        armed++;
        return r.clock.setTimer(callback, delayMs);
      },
    };
    const timer = new ExpiryTimer(
      counting,
      async () => (r.db.due === undefined ? undefined : new Date(r.db.due)),
      async () => {
        r.sweeps.push(r.clock.now().getTime() - r.start);
        r.db.due = undefined;
      },
      () => undefined,
    );
    await timer.rearm();
    await r.clock.advance(3_000);
    await timer.rearm();
    await timer.rearm();
    expect(armed).toBe(1);
    await r.clock.advance(7_000);
    expect(r.sweeps).toEqual([10_000]);
  });

  it("reports a failed re-read and keeps the timer it had, without rejecting", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const start = clock.now().getTime();
    let failing = false;
    const errors: string[] = [];
    const sweeps: number[] = [];
    const timer = new ExpiryTimer(
      clock,
      async () => {
        if (failing) throw new Error("connection terminated");
        return new Date(start + 2_000);
      },
      async () => {
        sweeps.push(clock.now().getTime() - start);
        failing = true;
      },
      (error) => errors.push(String(error)),
    );
    await timer.rearm();
    failing = true;
    await expect(timer.rearm()).resolves.toBeUndefined();
    expect(errors).toEqual(["Error: connection terminated"]);
    await clock.advance(2_000);
    expect(sweeps).toEqual([2_000]);
    timer.stop();
  });
});
