import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keepAliveFetch } from "./http-fetch.js";
import { isReportingCall, SlackLane } from "./lanes.js";

describe("SlackLane", () => {
  let now = 0;
  const lane = () => new SlackLane({ limitWhileBusy: 2, quietMs: 20, now: () => now });
  beforeEach(() => {
    now = 1_000;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  /** Acquires `n` slots; returns the releases in the order they were granted. */
  function acquireAll(l: SlackLane, n: number) {
    const granted: number[] = [];
    const releases = new Map<number, () => void>();
    for (let i = 0; i < n; i++) {
      // Watched, not awaited: the test reads the order in which the slots were granted.
      void l.acquire().then((release) => {
        granted.push(i);
        releases.set(i, release);
      });
    }
    return { granted, releases };
  }

  it("lets every report out at once while Slack is quiet", async () => {
    const { granted } = acquireAll(lane(), 10);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(10);
  });

  it("a lone click's reports never wait: the busy limit's slots are free", async () => {
    const l = lane();
    l.requestArrived();
    const { granted } = acquireAll(l, 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1]);
  });

  it("while requests arrive, only the limit runs and the rest wait in order", async () => {
    const l = lane();
    l.requestArrived();
    const { granted, releases } = acquireAll(l, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1]);
    expect(l.queued).toBe(3);
    releases.get(1)?.();
    releases.get(1)?.(); // a second release of the same slot frees nothing more
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1, 2]);
    expect(l.queued).toBe(2);
  });

  it("once Slack has been quiet for quietMs, everything waiting goes out", async () => {
    const l = lane();
    l.requestArrived();
    const { granted } = acquireAll(l, 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(2);
    l.requestAnswered(); // answered, but a request arrived just now: still busy
    now += 5;
    await vi.advanceTimersByTimeAsync(5);
    expect(granted).toHaveLength(2);
    now += 15;
    await vi.advanceTimersByTimeAsync(15);
    expect(granted).toEqual([0, 1, 2, 3, 4, 5]);
    expect(l.queued).toBe(0);
  });

  it("later() returns at once, runs the work in its turn, and hands an escaped failure to onError", async () => {
    const failures: unknown[] = [];
    const l = new SlackLane({ limitWhileBusy: 1, now: () => now, onError: (error) => failures.push(error) });
    l.requestArrived();
    const ran: string[] = [];
    let finishFirst = () => {};
    l.later(
      () =>
        new Promise<void>((resolve) => {
          finishFirst = () => {
            ran.push("first");
            resolve();
          };
        }),
    );
    l.later(async () => {
      ran.push("second");
      throw new Error("escaped");
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual([]);
    expect(l.queued).toBe(1);
    finishFirst();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(["first", "second"]);
    expect(failures).toEqual([new Error("escaped")]);
  });

  it("settled() waits for running and waiting work (shutdown), or gives up after its time", async () => {
    const l = lane();
    await expect(l.settled(1_000)).resolves.toBeUndefined();
    l.requestArrived();
    const { releases } = acquireAll(l, 3);
    await vi.advanceTimersByTimeAsync(0);
    let settled = false;
    // Watched, not awaited: the test checks when it settles.
    void l.settled(60_000).then(() => {
      settled = true;
    });
    releases.get(0)?.();
    releases.get(1)?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false); // the third is running now
    releases.get(2)?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);

    acquireAll(l, 1); // never released
    let gaveUp = false;
    // Watched, not awaited, as above.
    void l.settled(500).then(() => {
      gaveUp = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(gaveUp).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(gaveUp).toBe(true);
  });

  it("knows which Web API methods only report", () => {
    const url = (m: string) => new URL(`https://slack.com/api/${m}`);
    for (const m of ["chat.postMessage", "chat.update", "chat.delete", "views.publish"])
      expect(isReportingCall(url(m))).toBe(true);
    for (const m of ["views.open", "views.push", "chat.postEphemeral", "users.info", "auth.test"])
      expect(isReportingCall(url(m))).toBe(false);
  });
});

describe("keepAliveFetch with a busy lane", () => {
  let server: Server;
  let base: string;
  const held: (() => void)[] = [];
  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => held.push(() => res.end('{"ok":true}')));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });
  afterEach(async () => {
    for (const answer of held.splice(0)) answer();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("holds reports beyond the limit while a modal still goes straight out", async () => {
    const lane = new SlackLane({ limitWhileBusy: 1, quietMs: 60_000 });
    const transport = keepAliveFetch({ lane });
    lane.requestArrived();
    const post = () => transport.fetch(`${base}chat.postMessage`, { method: "POST", body: "channel=U1" });
    const first = post();
    const second = post();
    const modal = transport.fetch(`${base}views.open`, { method: "POST", body: "trigger_id=t" });
    await vi.waitFor(() => expect(held).toHaveLength(2)); // the first report and the modal
    expect(lane.queued).toBe(1);
    for (const answer of held.splice(0)) answer();
    await expect(first).resolves.toMatchObject({ status: 200 });
    await expect(modal).resolves.toMatchObject({ status: 200 });
    await vi.waitFor(() => expect(held).toHaveLength(1)); // the second report, once the first was done
    for (const answer of held.splice(0)) answer();
    await expect(second).resolves.toMatchObject({ status: 200 });
    transport.close();
  });
});
