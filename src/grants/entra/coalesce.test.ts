import { describe, expect, it } from "vitest";
import { ManualClock } from "../../domain/clock.js";
import { COALESCE_WINDOW_MS, EAGER, PATIENT, PATIENT_WINDOW_MS, type Patience, ReadCoalescer } from "./coalesce.js";

/** A coalescer over calls the test can count (four items to a call); each finds nothing still there. */
function rig(patience: (startsLastSecond: number) => Patience) {
  const clock = new ManualClock();
  const calls: string[][] = [];
  const reads = new ReadCoalescer<string>(
    {
      fits: (_scope, items) => items.length <= 4,
      read: async (_scope, items) => {
        calls.push([...items]);
        return new Set<string>();
      },
    },
    clock,
    patience,
  );
  return { clock, calls, reads };
}

describe("ReadCoalescer's patience", () => {
  it("eager: waits 25 ms for a revoke under way, and goes as soon as nobody else is", async () => {
    const { clock, calls, reads } = rig(() => EAGER);
    reads.expect("g", "b");
    const a = reads.ask("g", "a", "a");
    await clock.advance(COALESCE_WINDOW_MS);
    expect(await a).toBe(false);
    expect(calls).toEqual([["a"]]);
    reads.expect("h", "d");
    const c = reads.ask("h", "c", "c");
    const d = reads.ask("h", "d", "d");
    await clock.advance(0);
    expect(await Promise.all([c, d])).toEqual([false, false]);
    expect(calls).toEqual([["a"], ["c", "d"]]);
  });

  it("throttled: waits out 2 s even when nobody is under way, for the revokes still to start", async () => {
    const { clock, calls, reads } = rig(() => PATIENT);
    const a = reads.ask("g", "a");
    await clock.advance(PATIENT_WINDOW_MS - 1);
    expect(calls).toEqual([]);
    // A revoke the sweep started meanwhile joins the same call.
    reads.expect("g", "b");
    const b = reads.ask("g", "b", "b");
    await clock.advance(0);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(await Promise.all([a, b])).toEqual([false, false]);
    expect(calls).toEqual([["a", "b"]]);
  });

  it("throttled: a revoke that failed before its read-back does not send the batch early", async () => {
    const { clock, calls, reads } = rig(() => PATIENT);
    reads.expect("g", "b");
    const a = reads.ask("g", "a");
    reads.forget("g", "b");
    await clock.advance(0);
    expect(calls).toEqual([]);
    await clock.advance(PATIENT_WINDOW_MS);
    expect(await a).toBe(false);
    expect(calls).toEqual([["a"]]);
  });

  it("throttled: a batch that fills goes at once, without waiting out the window", async () => {
    const { clock, calls, reads } = rig(() => PATIENT);
    const asked = Promise.all(["a", "b", "c", "d"].map((key) => reads.ask("g", key, key)));
    await clock.advance(0);
    expect(await asked).toEqual([false, false, false, false]);
    expect(calls).toEqual([["a", "b", "c", "d"]]);
  });

  it("reads its patience when a batch opens: a batch opened eager stays eager", async () => {
    let patience = EAGER;
    const { clock, calls, reads } = rig(() => patience);
    reads.expect("g", "b");
    const a = reads.ask("g", "a", "a");
    patience = PATIENT;
    await clock.advance(COALESCE_WINDOW_MS);
    expect(await a).toBe(false);
    expect(calls).toEqual([["a"]]);
  });

  it("tells the patience how many revokes of the batch's scope began within the last second", async () => {
    const seen: number[] = [];
    const { clock, reads } = rig((starts) => {
      seen.push(starts);
      return EAGER;
    });
    reads.expect("g", "a");
    reads.expect("g", "b");
    reads.expect("other", "x");
    await clock.advance(600);
    reads.expect("g", "c");
    const a = reads.ask("g", "a", "a");
    await clock.advance(COALESCE_WINDOW_MS);
    await a;
    reads.forget("g", "b");
    await clock.advance(1_001 - 600 - COALESCE_WINDOW_MS);
    // a and b began 1,001 ms ago: only c is left of the last second.
    await reads.ask("g", "c", "c");
    expect(seen).toEqual([3, 1]);
  });
});
