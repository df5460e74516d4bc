/**
 * The revoker's slots bound the removals in flight, not the read-backs: a read-back that waits for
 * others to join its call (entra-group's coalesced reads, longer while Graph throttles) must not keep
 * the next due grant's removal from being sent.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { GrantEngine } from "../../src/grants/engine.js";
import type {
  ActiveGrant,
  GrantOutcome,
  GrantProvider,
  ReadBack,
  RevokeOutcome,
  RevokeReader,
} from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { Store } from "../../src/store/index.js";
import { examplePolicy } from "../support/bot.js";
import { CountingNotifier } from "../support/counting-notifier.js";
import { tempDir } from "../support/temp.js";

/** Removes at once; each read-back waits until the test lets the reads go. */
class HeldReadsProvider implements GrantProvider, RevokeReader {
  readonly type = "entra-group" as const;
  readonly removed: string[] = [];
  readonly reading: string[] = [];
  private letGo!: () => void;
  private readonly reads = new Promise<void>((resolve) => (this.letGo = resolve));

  async grant(): Promise<GrantOutcome> {
    throw new Error("not used: grants are seeded through the store");
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    this.removed.push(grant.requestId);
    return { detail: "removed" };
  }

  async readBack(grant: ActiveGrant): Promise<ReadBack> {
    this.reading.push(grant.requestId);
    await this.reads;
    return { status: "gone", detail: "no longer a member" };
  }

  release(): void {
    this.letGo();
  }
}

const dir = tempDir();
afterAll(() => dir.cleanup());

async function seed(store: Store, ids: string[], at: Date, expiresAt: Date): Promise<void> {
  for (const [i, id] of ids.entries()) {
    await store.requests.insert({
      id,
      profileId: "aks-prod-sre",
      requesterId: `U${i}`,
      requesterName: `User ${i}`,
      requesterEmail: `user${i}@contoso.com`,
      durationSeconds: 60,
      justification: "read-back slots test",
      ticket: undefined,
      extendsRequestId: undefined,
      createdAt: at,
    });
    await store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0LEAD" });
    await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
    await store.grants.activate({ requestId: id, state: { userId: `u${i}` }, at, expiresAt });
  }
}

/** One replica's engine over `provider` alone, with `concurrency` removal slots. */
function engineFor(
  store: Store,
  clock: ManualClock,
  provider: GrantProvider,
  concurrency: number,
  notifier = new CountingNotifier(),
): GrantEngine {
  const providers = dryRunProviders();
  providers.set("entra-group", provider);
  return new GrantEngine({
    store,
    providers,
    policy: examplePolicy(),
    clock,
    notifier,
    logger: createLogger("silent"),
    concurrency,
  });
}

describe("revoke slots and read-backs", () => {
  it("sends every due removal while the earlier ones' read-backs still wait (2 slots, 6 grants)", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const store = await Store.open(join(dir.dir, "slots.db"));
    const ids = Array.from({ length: 6 }, (_, i) => `JR-S${i}`);
    await seed(store, ids, clock.now(), new Date(clock.now().getTime() + 60_000));
    const provider = new HeldReadsProvider();
    const notifier = new CountingNotifier();
    const engine = engineFor(store, clock, provider, 2, notifier);
    await clock.advance(60_000);
    const sweep = engine.sweep();
    // With the read-backs holding their slots, only two removals would ever go out here.
    await vi.waitFor(() => expect(provider.reading).toHaveLength(6));
    expect([...provider.removed].sort()).toEqual(ids);
    provider.release();
    expect(await sweep).toBe(6);
    await engine.idle();
    expect([...notifier.ended].sort()).toEqual(ids);
    await store.close();
  });

  it("counts only what it ended: not a grant another sweep has in flight, nor one another replica took over", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const store = await Store.open(join(dir.dir, "count.db"));
    const ids = Array.from({ length: 3 }, (_, i) => `JR-C${i}`);
    await seed(store, ids, clock.now(), new Date(clock.now().getTime() + 60_000));
    const provider = new HeldReadsProvider();
    const engine = engineFor(store, clock, provider, 4);
    await clock.advance(60_000);
    // The last grant is held by another replica (its lease lapsed here and was taken over).
    await store.kysely
      .updateTable("grants")
      .set({ lease_owner: "replica-b", lease_until: clock.now().getTime() + 60_000 })
      .where("request_id", "=", "JR-C2")
      .execute();
    const first = engine.sweep();
    await vi.waitFor(() => expect(provider.reading).toHaveLength(2));
    // A second sweep (the timer's beside the minute's) finds the same two, in flight: it ends none.
    const second = await engine.sweep();
    provider.release();
    expect([await first, second]).toEqual([2, 0]);
    expect(provider.removed.sort()).toEqual(["JR-C0", "JR-C1"]);
    await engine.idle();
    await store.close();
  });

  it("does not count a grant of its page that another replica took over while it starved", async () => {
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const store = await Store.open(join(dir.dir, "taken.db"));
    const ids = Array.from({ length: 3 }, (_, i) => `JR-T${i}`);
    await seed(store, ids, clock.now(), new Date(clock.now().getTime() + 60_000));
    /** Its first removal is slow enough for replica-b to take the second grant over. */
    class Starved extends HeldReadsProvider {
      override async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
        if (grant.requestId === "JR-T0") {
          await store.kysely
            .updateTable("grants")
            .set({ lease_owner: "replica-b", lease_until: clock.now().getTime() + 60_000 })
            .where("request_id", "=", "JR-T1")
            .execute();
        }
        return super.revoke(grant);
      }
    }
    const provider = new Starved();
    provider.release();
    const engine = engineFor(store, clock, provider, 1);
    await clock.advance(60_000);
    expect(await engine.sweep()).toBe(2);
    expect(provider.removed).toEqual(["JR-T0", "JR-T2"]);
    await engine.idle();
    await store.close();
  });
});
