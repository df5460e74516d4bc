import { describe, expect, it } from "vitest";
import { FreshRead } from "./fresh-read.js";

/** A read whose answers the test releases one by one; each answer is the read's own number. */
function controlledRead() {
  const pending: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  let started = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const n = ++started;
      pending.push({ resolve: () => resolve(n), reject });
    });
  return {
    read,
    started: () => started,
    finish: async () => {
      pending.shift()?.resolve(0);
      // Let the promise chain hand over to the next read.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
    fail: async (message: string) => {
      pending.shift()?.reject(new Error(message));
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe("FreshRead", () => {
  it("a lone caller gets a read of its own", async () => {
    const r = controlledRead();
    const shared = new FreshRead(r.read);
    const answer = shared.get();
    await r.finish();
    expect(await answer).toBe(1);
    expect(r.started()).toBe(1);
  });

  it("sixteen callers during a read in flight share one read that starts after it, never the older answer", async () => {
    const r = controlledRead();
    const shared = new FreshRead(r.read);
    const first = shared.get();
    const burst = Array.from({ length: 16 }, () => shared.get());
    expect(r.started()).toBe(1);
    await r.finish();
    expect(await first).toBe(1);
    // The second read began only after the first answered: it sees everything committed before the calls.
    expect(r.started()).toBe(2);
    await r.finish();
    expect(await Promise.all(burst)).toEqual(Array(16).fill(2));
    expect(r.started()).toBe(2);
  });

  it("a failed read fails only its own callers; those waiting for the next read still get one", async () => {
    const r = controlledRead();
    const shared = new FreshRead(r.read);
    const failing = shared.get();
    const waiting = shared.get();
    await r.fail("connection reset");
    await expect(failing).rejects.toThrow("connection reset");
    await r.finish();
    expect(await waiting).toBe(2);
    const later = shared.get();
    await r.finish();
    expect(await later).toBe(3);
  });
});
