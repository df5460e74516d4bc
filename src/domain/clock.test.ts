import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock, systemClock } from "./clock.js";

/** Node's setTimeout fires at once past ~24.8 days; the system clock re-arms in steps of this. */
const STEP = 2_147_000_000;

describe("the system clock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tells the time now", () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ["a short wait", 1_500],
    ["a wait of exactly one step", STEP],
    ["a wait of a step and a second", STEP + 1_000],
    ["a wait of 60 days", 60 * 86_400_000],
  ])("calls back once after %s, not before", (_why, delayMs) => {
    vi.useFakeTimers();
    const callback = vi.fn();
    systemClock.setTimer(callback, delayMs);
    vi.advanceTimersByTime(delayMs - 1);
    expect(callback).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(callback).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * 86_400_000);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it("calls back at once for a wait already past", () => {
    vi.useFakeTimers();
    const callback = vi.fn();
    systemClock.setTimer(callback, -5_000);
    vi.advanceTimersByTime(0);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it("never calls back once cancelled, before or after re-arming", () => {
    vi.useFakeTimers();
    const early = vi.fn();
    systemClock.setTimer(early, 10_000).cancel();
    const late = vi.fn();
    const handle = systemClock.setTimer(late, STEP + 10_000);
    vi.advanceTimersByTime(STEP + 1);
    handle.cancel();
    vi.advanceTimersByTime(100 * 86_400_000);
    expect(early).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
  });

  it("keeps no process alive for a wait", () => {
    vi.useFakeTimers();
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    systemClock.setTimer(() => undefined, 1_000);
    const timer = setTimeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
  });
});

describe("the manual clock", () => {
  it("starts where told, on a Monday morning by default, and moves only when advanced", async () => {
    expect(new ManualClock().now().toISOString()).toBe("2026-01-05T09:00:00.000Z");
    const clock = new ManualClock("2026-03-02T09:00:00Z");
    expect(clock.now().toISOString()).toBe("2026-03-02T09:00:00.000Z");
    await clock.advance(90_000);
    expect(clock.now().toISOString()).toBe("2026-03-02T09:01:30.000Z");
  });

  it("fires due timers in time order, ties in the order set, each at its own time", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00Z");
    const fired: string[] = [];
    const note = (name: string) => () => void fired.push(`${name}@${clock.now().toISOString().slice(11, 19)}`);
    clock.setTimer(note("c"), 3_000);
    clock.setTimer(note("a"), 1_000);
    clock.setTimer(note("b1"), 2_000);
    clock.setTimer(note("b2"), 2_000);
    clock.setTimer(note("past"), -1_000);
    clock.setTimer(note("later"), 5_001);
    await clock.advance(5_000);
    expect(fired).toEqual(["past@09:00:00", "a@09:00:01", "b1@09:00:02", "b2@09:00:02", "c@09:00:03"]);
    expect(clock.now().toISOString()).toBe("2026-03-02T09:00:05.000Z");
    expect(clock.pendingTimers()).toBe(1);
  });

  it("fires a timer due exactly at the end of the advance, and each timer once", async () => {
    const clock = new ManualClock();
    const callback = vi.fn();
    clock.setTimer(callback, 1_000);
    await clock.advance(1_000);
    await clock.advance(1_000);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("fires a timer set by a timer within the same advance, and never one cancelled", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00Z");
    const fired: string[] = [];
    clock.setTimer(() => {
      clock.setTimer(() => void fired.push(clock.now().toISOString().slice(11, 19)), 1_000);
    }, 1_000);
    const cancelled = vi.fn();
    clock.setTimer(cancelled, 500).cancel();
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(3_000);
    expect(fired).toEqual(["09:00:02"]);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it("lets what a timer starts finish before the next one fires", async () => {
    const clock = new ManualClock();
    const steps: string[] = [];
    clock.setTimer(() => {
      // Left running on purpose, as a callback's work is: advance() must wait for it on its own.
      void (async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
        steps.push("first done");
      })();
    }, 1_000);
    clock.setTimer(() => void steps.push("second"), 2_000);
    await clock.advance(2_000);
    expect(steps).toEqual(["first done", "second"]);
  });
});
