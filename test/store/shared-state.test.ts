/**
 * State no replica may keep to itself (issue 14): periodic job claims, App Home visitors, and the
 * `exclusive` lock. Each contract runs on both engines; the cross-replica cases open several
 * Stores on one PostgreSQL schema, which stand for several processes.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { ExclusiveTimeout, type Store, Store as StoreClass, type StoreOptions } from "../../src/store/index.js";
import { adminClient, engines, freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";

const ENGINES = engines();
const at = new Date("2026-03-02T10:00:00Z");
const DAY = 86_400_000;
const later = (ms: number) => new Date(at.getTime() + ms);

/** A promise the test resolves by hand: work that is "in the cloud" until the test lets it go. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Runs `n` works under `key` on `stores` (round robin) and records how many ran at once. */
async function contend(stores: Store[], key: string, n: number) {
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      stores[i % stores.length]?.exclusive(key, async () => {
        inside++;
        most = Math.max(most, inside);
        // Several turns of the event loop and a round trip, so an overlap would show.
        await stores[i % stores.length]?.databaseTime();
        await new Promise((resolve) => setImmediate(resolve));
        order.push(i);
        inside--;
      }),
    ),
  );
  return { most, ran: order.length };
}

describe.each(ENGINES)("shared state ($name)", (engine) => {
  it("lets one claim of a job's period win, and forgets claims a week old", async () => {
    const store = await engine.open();
    expect(await store.claimJob("audit-anchor", "2026-03-02", "replica-a", at)).toBe(true);
    expect(await store.claimJob("audit-anchor", "2026-03-02", "replica-b", later(1_000))).toBe(false);
    expect(await store.claimJob("audit-anchor", "2026-03-02", "replica-a", later(2_000))).toBe(false);
    // Another period, or another job in the same period, is a claim of its own.
    expect(await store.claimJob("audit-anchor", "2026-03-03", "replica-b", later(DAY))).toBe(true);
    expect(await store.claimJob("drift", "2026-03-02", "replica-b", at)).toBe(true);
    const rows = () =>
      store.kysely.selectFrom("job_runs").select(["name", "period", "owner"]).orderBy("period").execute();
    expect(await rows()).toEqual([
      { name: "audit-anchor", period: "2026-03-02", owner: "replica-a" },
      { name: "drift", period: "2026-03-02", owner: "replica-b" },
      { name: "audit-anchor", period: "2026-03-03", owner: "replica-b" },
    ]);
    // Eight days on, the next claim prunes the rows older than a week (the first day's), at most hourly.
    expect(await store.claimJob("drift", "2026-03-10", "replica-a", later(8 * DAY))).toBe(true);
    expect((await rows()).map((row) => row.period)).toEqual(["2026-03-03", "2026-03-10"]);
    await store.close();
  });

  it("remembers who opened App Home, refreshed by each visit, and forgets a visit 30 days old", async () => {
    const store = await engine.open();
    await store.homeOpened("U0ALICE", at);
    await store.homeOpened("U0LEAD", at);
    await store.homeOpened("U0ALICE", later(20 * DAY));
    expect(await store.homeVisitors(later(DAY))).toEqual(["U0ALICE", "U0LEAD"]);
    expect(await store.homeVisitors(later(31 * DAY))).toEqual(["U0ALICE"]);
    const rows = await store.kysely.selectFrom("home_visitors").select("user_id").execute();
    expect(rows.map((row) => row.user_id)).toEqual(["U0ALICE"]);
    expect(await store.homeVisitors(later(51 * DAY))).toEqual([]);
    await store.close();
  });

  it("runs works of one key one at a time, and works of other keys beside them", async () => {
    const store = await engine.open();
    expect(await contend([store], "aws-role-policy:arn:a", 12)).toEqual({ most: 1, ran: 12 });
    const held = gate();
    const first = store.exclusive("key-a", () => held.opened.then(() => "a"));
    // Another key is not blocked by key-a's holder.
    expect(await store.exclusive("key-b", async () => "b")).toBe("b");
    held.open();
    expect(await first).toBe("a");
    await store.close();
  });

  it("releases the key when the work throws, and hands the error back", async () => {
    const store = await engine.open();
    await expect(
      store.exclusive("key-t", async () => {
        throw new Error("IAM said no");
      }),
    ).rejects.toThrow("IAM said no");
    expect(await store.exclusive("key-t", async () => "next")).toBe("next");
    await store.close();
  });

  it("gives up waiting after the bound when the holder is stuck, and serves the next caller later", async () => {
    const clock = new ManualClock(at);
    const store = await engine.open({ clock, exclusiveWaitMs: 30_000 });
    const stuck = gate();
    const holder = store.exclusive("key-s", () => stuck.opened);
    const waiter = store.exclusive("key-s", async () => "ran");
    const outcome = waiter.then(
      () => "ran",
      (error: unknown) => error,
    );
    await clock.advance(29_000);
    await clock.advance(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(ExclusiveTimeout);
    expect((error as Error).message).toBe("waited over 30 s for key-s, which another task or replica holds");
    stuck.open();
    await holder;
    expect(await store.exclusive("key-s", async () => "after")).toBe("after");
    await store.close();
  });
});

describe.runIf(testDatabaseUrl())("shared state across replicas on one PostgreSQL schema", () => {
  async function replicas(n: number, options: StoreOptions = {}, location = freshSchemaUrl()): Promise<Store[]> {
    const first = await StoreClass.open(location, options);
    const rest = await Promise.all(Array.from({ length: n - 1 }, () => StoreClass.open(location, options)));
    return [first, ...rest];
  }
  const closeAll = (stores: Store[]) => Promise.all(stores.map((s) => s.close()));

  it("gives a job's period to exactly one of three replicas claiming it at the same moment", async () => {
    const stores = await replicas(3);
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3]?.claimJob("reap", "2026-03-02T10:15", `r${i % 3}`, at)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    await closeAll(stores);
  });

  it("shares App Home visitors: a visit on one replica is known to the others", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    await a.homeOpened("U0ALICE", at);
    await b.homeOpened("U0LEAD", at);
    expect(await b.homeVisitors(later(1_000))).toEqual(["U0ALICE", "U0LEAD"]);
    expect(await a.homeVisitors(later(1_000))).toEqual(["U0ALICE", "U0LEAD"]);
    await closeAll([a, b]);
  });

  it("never runs two works of one key at once across replicas; other keys pass", async () => {
    const stores = await replicas(3);
    const [a, b] = stores;
    if (!a || !b) throw new Error("replicas");
    expect(await contend(stores, "aws-role-policy:arn:shared", 18)).toEqual({ most: 1, ran: 18 });
    const held = gate();
    let entered = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = a.exclusive("key-a", async () => {
      entered();
      await held.opened;
      return "a";
    });
    await inside;
    // Replica b: key-b is free while a holds key-a.
    expect(await b.exclusive("key-b", async () => "b")).toBe("b");
    let second = false;
    const waiting = b.exclusive("key-a", async () => {
      second = true;
    });
    await b.databaseTime();
    expect(second).toBe(false);
    held.open();
    expect(await first).toBe("a");
    await waiting;
    expect(second).toBe(true);
    await closeAll(stores);
  });

  it("releases the advisory lock when the work throws, so another replica gets it at once", async () => {
    const url = new URL(freshSchemaUrl());
    const name = `jitbot-excl-${process.pid}`;
    url.searchParams.set("application_name", name);
    const [a, b] = await replicas(2, { exclusiveWaitMs: 2_000 }, url.toString());
    if (!a || !b) throw new Error("two replicas");
    const admin = await adminClient();
    const held = async () => {
      const answer = await admin.query(
        `SELECT count(*) FILTER (WHERE l.locktype = 'advisory')::int AS locks, count(DISTINCT a.pid)::int AS backends
           FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid WHERE a.application_name = $1`,
        [name],
      );
      return answer.rows[0] as { locks: number; backends: number };
    };
    const before = await held();
    await expect(
      a.exclusive("key-t", async () => {
        expect((await held()).locks).toBe(1);
        throw new Error("IAM said no");
      }),
    ).rejects.toThrow("IAM said no");
    // Unlocked on its connection, which went back to the pool (not merely dropped with its session).
    expect(await held()).toEqual({ locks: 0, backends: before.backends });
    await admin.end();
    expect(await b.exclusive("key-t", async () => "b got it")).toBe("b got it");
    // No lock is left on any pooled connection of a: it takes the key again too.
    expect(await a.exclusive("key-t", async () => "a again")).toBe("a again");
    await closeAll([a, b]);
  });

  it("bounds the wait for a key another replica holds (lock_timeout), and the pool keeps working", async () => {
    const [a, b] = await replicas(2, { exclusiveWaitMs: 150 });
    if (!a || !b) throw new Error("two replicas");
    const stuck = gate();
    let entered = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const holder = a.exclusive("key-s", async () => {
      entered();
      await stuck.opened;
    });
    await inside;
    await expect(b.exclusive("key-s", async () => "never")).rejects.toBeInstanceOf(ExclusiveTimeout);
    expect(await b.databaseTime()).toBeInstanceOf(Date);
    stuck.open();
    await holder;
    expect(await b.exclusive("key-s", async () => "now")).toBe("now");
    await closeAll([a, b]);
  });
});
