/**
 * Pending step-ups (migration 10) on both engines: a state is taken once, by whichever store gets
 * there first, and not after its expiry; a taken or expired state says so; old rows are pruned.
 */
import { describe, expect, it } from "vitest";
import { Store } from "../../src/store/index.js";
import { engines, freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { insertRequest } from "../support/store-rows.js";

const ENGINES = engines();
const at = new Date("2026-03-02T10:00:00Z");
const later = (ms: number) => new Date(at.getTime() + ms);
const FIVE_MINUTES = 5 * 60_000;

function pending(state: string, requestId = "JR-STEP01") {
  return {
    state,
    requestId,
    approverId: "U0LEAD",
    clicked: { channel: "C0APPROVALS", ts: "1700000000.000100" },
    createdAt: at,
    expiresAt: later(FIVE_MINUTES),
  };
}

describe.each(ENGINES)("step-ups ($name)", (engine) => {
  it("takes a state once, before its expiry; a second take finds it used", async () => {
    const store = await engine.open();
    await insertRequest(store, "JR-STEP01", at);
    await store.stepUps.create(pending("s".repeat(43)));
    expect(await store.stepUps.get("s".repeat(43))).toMatchObject({
      requestId: "JR-STEP01",
      approverId: "U0LEAD",
      clicked: { channel: "C0APPROVALS", ts: "1700000000.000100" },
      expiresAt: later(FIVE_MINUTES),
      usedAt: undefined,
    });
    const first = await store.stepUps.claim("s".repeat(43), later(60_000));
    expect(first).toMatchObject({ kind: "claimed", stepUp: { usedAt: later(60_000) } });
    expect((await store.stepUps.claim("s".repeat(43), later(61_000))).kind).toBe("used");
    // Used stays used after the expiry too: a replay is called a replay.
    expect((await store.stepUps.claim("s".repeat(43), later(FIVE_MINUTES + 1))).kind).toBe("used");
    expect((await store.stepUps.claim("u".repeat(43), later(1))).kind).toBe("unknown");
    await store.close();
  });

  it("refuses a state at and after its five minutes", async () => {
    const store = await engine.open();
    await insertRequest(store, "JR-STEP01", at);
    await store.stepUps.create(pending("e".repeat(43)));
    expect((await store.stepUps.claim("e".repeat(43), later(FIVE_MINUTES))).kind).toBe("expired");
    expect((await store.stepUps.get("e".repeat(43)))?.usedAt).toBeUndefined();
    await store.close();
  });

  it("prunes rows a day old when the next step-up is made", async () => {
    const store = await engine.open();
    await insertRequest(store, "JR-STEP01", at);
    await store.stepUps.create(pending("o".repeat(43)));
    await store.stepUps.create({
      ...pending("n".repeat(43)),
      createdAt: later(86_400_001),
      expiresAt: later(86_700_001),
    });
    expect(await store.stepUps.get("o".repeat(43))).toBeUndefined();
    expect(await store.stepUps.get("n".repeat(43))).toBeDefined();
    await store.close();
  });
});

describe.runIf(testDatabaseUrl())("step-ups across replicas (postgres)", () => {
  it("lets exactly one of several stores take a state raced to all of them", async () => {
    const url = freshSchemaUrl();
    const stores = await Promise.all([Store.open(url), Store.open(url), Store.open(url)]);
    const [first] = stores;
    if (!first) throw new Error("stores");
    await insertRequest(first, "JR-STEP01", at);
    await first.stepUps.create(pending("r".repeat(43)));
    const claims = await Promise.all(stores.map((store) => store.stepUps.claim("r".repeat(43), later(1_000))));
    expect(claims.map((c) => c.kind).sort()).toEqual(["claimed", "used", "used"]);
    for (const store of stores) await store.close();
  });
});
