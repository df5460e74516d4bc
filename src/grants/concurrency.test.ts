import { describe, expect, it } from "vitest";
import { forEachReleasing } from "./concurrency.js";

/** A promise the test settles by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("forEachReleasing", () => {
  it("starts at most `limit` works before their release, and the next as soon as one releases", async () => {
    const started: number[] = [];
    const tails = [gate(), gate(), gate(), gate()];
    const releases: (() => void)[] = [];
    const all = forEachReleasing([0, 1, 2, 3], 2, 10, async (item, release) => {
      started.push(item);
      releases.push(release);
      await tails[item]?.opened;
    });
    await settle();
    expect(started).toEqual([0, 1]);
    releases[0]?.();
    await settle();
    // Item 0 still runs its tail, without a slot: item 2 has taken it.
    expect(started).toEqual([0, 1, 2]);
    // A second release of the same slot frees nothing more.
    releases[0]?.();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    tails[1]?.open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    let finished = false;
    const done = all.then(() => (finished = true));
    for (const tail of [tails[2], tails[3]]) tail?.open();
    await settle();
    expect(finished).toBe(false);
    tails[0]?.open();
    await done;
    expect(finished).toBe(true);
  });

  it("a work that never releases holds its slot to its end, as forEachLimited would", async () => {
    let inFlight = 0;
    let most = 0;
    await forEachReleasing([1, 2, 3, 4, 5, 6], 3, 10, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await settle();
      inFlight--;
    });
    expect(most).toBe(3);
  });

  it("starts nothing more while `total` works are unfinished, released or not", async () => {
    const started: number[] = [];
    const tails = [gate(), gate(), gate(), gate()];
    const all = forEachReleasing([0, 1, 2, 3], 2, 3, async (item, release) => {
      started.push(item);
      release();
      await tails[item]?.opened;
    });
    await settle();
    // Every one released its slot at once; three unfinished tails are the limit.
    expect(started).toEqual([0, 1, 2]);
    tails[1]?.open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const tail of tails) tail.open();
    await all;
  });

  it("a throw starts nothing new, lets the started ones finish, then throws the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const boom = gate();
    const slow = gate();
    const all = forEachReleasing([0, 1, 2, 3], 2, 10, async (item) => {
      started.push(item);
      if (item === 0) {
        await boom.opened;
        throw new Error("boom 0");
      }
      await slow.opened;
      finished.push(item);
    });
    const outcome = all.then(
      () => "resolved",
      (error: unknown) => String(error),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    boom.open();
    await settle();
    // Item 0's slot came free by its throw; nothing after it starts.
    expect(started).toEqual([0, 1]);
    slow.open();
    expect(await outcome).toBe("Error: boom 0");
    expect(finished).toEqual([1]);
  });

  it("gives a finished work's room back: ten works run through a total of two", async () => {
    const done: number[] = [];
    await forEachReleasing([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 2, async (item, release) => {
      release();
      await settle();
      done.push(item);
    });
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
