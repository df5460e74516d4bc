/**
 * entra-group read-backs, coalesced: revokes of one group that end together are read back in one
 * `$filter=id in (…)` call on the group's members, each still with its own verdict. Real provider,
 * real Graph SDK, the strict fake Graph over HTTPS.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { memberQueryFits } from "../../src/grants/entra/member-reads.js";
import { isProviderError } from "../../src/grants/errors.js";
import { type ActiveGrant, canReadBack, type GrantProvider, type RevokeReader } from "../../src/grants/provider.js";
import { readBackUntil } from "../../src/grants/read-back.js";
import type { RecordedCall } from "../fakes/graph-server.js";
import { driveClock } from "../readback/support.js";
import { type EntraFixture, startEntraFixture } from "./harness.js";

let f: EntraFixture;
afterEach(() => f.close());

function groupProvider(): GrantProvider & RevokeReader {
  const provider = f.provider("entra-group");
  if (!canReadBack(provider)) throw new Error("entra-group reads back");
  return provider;
}

/** `count` people who hold the group through jitbot, as the store would hand them to revoke. */
function heldGrants(count: number): ActiveGrant[] {
  const expiresAt = f.time.now();
  const profile = f.policy.profiles.find((p) => p.id === "aks-group");
  if (!profile) throw new Error("no aks-group profile");
  return Array.from({ length: count }, (_, i) => {
    const upn = `held${i}-${randomUUID().slice(0, 8)}@example.com`;
    const user = f.graph.directory.addUser({ userPrincipalName: upn, mail: upn });
    f.graph.directory.groups.get(f.groupId)?.add(user.id);
    return {
      requestId: `req-held-${i}-${randomUUID().slice(0, 8)}`,
      profile,
      subject: { slackUserId: `U${i}`, email: upn, name: `Held ${i}` },
      expiresAt,
      state: { userId: user.id, groupId: f.groupId, standingMember: false },
    };
  });
}

/** What the revoker does for each due grant, all at once: revoke, then read back. */
function revokeAndReadBack(provider: GrantProvider & RevokeReader, grants: ActiveGrant[]) {
  return Promise.all(
    grants.map(async (grant) => {
      await provider.revoke(grant);
      return provider.readBack(grant);
    }),
  );
}

const memberReads = (): RecordedCall[] =>
  f.graph.calls.filter((c) => c.method === "GET" && c.path.endsWith("/members") && c.query.includes("filter"));

/** The most object ids one read holds in this tenant's URL (the fake's base URL). */
function idsPerRead(): number {
  const ids = [randomUUID()];
  while (memberQueryFits(f.graph.baseUrl, f.groupId, [...ids, randomUUID()])) ids.push(randomUUID());
  return ids.length;
}

describe("entra-group read-back, coalesced per group", () => {
  it("reads back 100 revokes of one group in ⌈100 / limit⌉ Graph calls, each under the 2,048-character URL", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const grants = heldGrants(100);
    const before = f.graph.calls.length;
    // 100 revokes begun within a second make the group busy: full calls go at once, and the last,
    // part-full one waits out the 2 s window for more.
    const results = await driveClock(clock, revokeAndReadBack(provider, grants));
    expect(results.every((r) => r.status === "gone")).toBe(true);
    const limit = idsPerRead();
    expect(limit).toBeGreaterThanOrEqual(15);
    const reads = memberReads();
    expect(reads).toHaveLength(Math.ceil(100 / limit));
    for (const read of reads) {
      expect(`${f.graph.baseUrl}/v1.0${read.path}${read.query}`.length).toBeLessThanOrEqual(2048);
      expect(read.headers.consistencylevel).toBe("eventual");
    }
    // The old read-back cost one call per revoke: 200 calls for 100 revokes.
    expect(f.graph.calls.length - before).toBe(100 + Math.ceil(100 / limit));
  });

  it("gives each revoke its own verdict: the one still in the group reads present, the others gone", async () => {
    f = await startEntraFixture({ replicationDelayMs: 0, clock: new ManualClock() });
    const provider = groupProvider();
    const grants = heldGrants(5);
    const stuck = String(grants[2]?.state.userId);
    await Promise.all(grants.map((g) => provider.revoke(g)));
    // Graph answered 204 for everyone, but the third removal did not take.
    f.graph.directory.groups.get(f.groupId)?.add(stuck);
    const results = await Promise.all(grants.map((g) => provider.readBack(g)));
    expect(results.map((r) => r.status)).toEqual(["gone", "gone", "present", "gone", "gone"]);
    expect(results[2]?.detail).toBe(`${stuck} is a direct member of group ${f.groupId}`);
    expect(results[0]?.detail).toBe(`${grants[0]?.state.userId} is no longer a direct member of group ${f.groupId}`);
    expect(memberReads()).toHaveLength(1);
  });

  it("a lone revoke is read back at once: no window, no timer on the clock", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const [grant] = heldGrants(1);
    if (!grant) throw new Error("no grant");
    await provider.revoke(grant);
    const read = provider.readBack(grant);
    expect(clock.pendingTimers()).toBe(0);
    expect((await read).status).toBe("gone");
    expect(memberReads()).toHaveLength(1);
  });

  it("waits out removal lag together: three rounds of reads for the whole batch, through the clock", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    f.graph.directory.removalLag = 2_000;
    const provider = groupProvider();
    const grants = heldGrants(10);
    await Promise.all(grants.map((g) => provider.revoke(g)));
    const settled = await driveClock(clock, Promise.all(grants.map((g) => readBackUntil(provider, g, "gone", clock))));
    // Reads at 0 s and 1 s still see them; the one at 3 s does not. A read-back never reports a
    // removal that has not shown yet as gone.
    expect(settled.map((s) => [s.status, s.reads, s.elapsedMs])).toEqual(grants.map(() => ["gone", 3, 3_000]));
    expect(memberReads()).toHaveLength(3);
  });

  it("an index that still lists a removed member reads present until it catches up, then gone", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    f.graph.directory.indexLagMs = 2_500;
    const provider = groupProvider();
    const grants = heldGrants(3);
    await Promise.all(grants.map((g) => provider.revoke(g)));
    expect(grants.every((g) => !f.graph.directory.isMember(f.groupId, String(g.state.userId)))).toBe(true);
    const settled = await driveClock(clock, Promise.all(grants.map((g) => readBackUntil(provider, g, "gone", clock))));
    expect(settled.map((s) => [s.status, s.reads])).toEqual(grants.map(() => ["gone", 3]));
  });

  it("a throttled read fails every revoke of its batch as THROTTLED with Retry-After, and they meet again in one call", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const grants = heldGrants(6);
    f.graph.throttleNext(4, 0, /^GET \/groups\/.*\/members$/);
    const first = await Promise.all(
      grants.map(async (g) => {
        await provider.revoke(g);
        return provider.readBack(g).catch((e: unknown) => e);
      }),
    );
    // The SDK tried the one call four times (GRAPH_MAX_RETRIES + 1), not four times per revoke.
    expect(memberReads()).toHaveLength(4);
    for (const failure of first) {
      expect(isProviderError(failure) && { code: failure.code, retryAfterMs: failure.retryAfterMs }).toEqual({
        code: "THROTTLED",
        retryAfterMs: 0,
      });
    }
    // Graph throttled within the last 10 s: the second round waits out the 2 s window together.
    const again = await driveClock(clock, Promise.all(grants.map((g) => provider.readBack(g))));
    expect(again.every((r) => r.status === "gone")).toBe(true);
    expect(memberReads()).toHaveLength(5);
  });

  it("once Graph has throttled the client, a read-back waits 2 s for others to join, even with none under way", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const [first, second] = heldGrants(2);
    if (!first || !second) throw new Error("no grants");
    // The SDK's retry handler waits this 429 out and sends the DELETE again: the revoke never sees
    // it, the client's throttle watch does.
    f.graph.throttleNext(1, 0, /^DELETE /);
    await provider.revoke(first);
    expect(f.graph.calls.filter((c) => c.method === "DELETE")).toHaveLength(2);
    const firstRead = provider.readBack(first);
    await vi.waitFor(() => expect(clock.pendingTimers()).toBe(1));
    // Unthrottled, a lone revoke is read back at once (above); throttled, the sweep's next one joins.
    await clock.advance(1_999);
    expect(memberReads()).toHaveLength(0);
    await provider.revoke(second);
    const secondRead = provider.readBack(second);
    await clock.advance(0);
    expect(memberReads()).toHaveLength(0);
    await clock.advance(1);
    expect((await Promise.all([firstRead, secondRead])).map((r) => r.status)).toEqual(["gone", "gone"]);
    expect(memberReads()).toHaveLength(1);
  });

  it("a group with 20 revokes begun within the last second is busy: its read-backs wait 2 s for more", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const grants = heldGrants(21);
    const [last] = grants.splice(20, 1);
    if (!last) throw new Error("no grant");
    await Promise.all(grants.map((g) => provider.revoke(g)));
    const first = Promise.all(grants.map((g) => provider.readBack(g)));
    await vi.waitFor(() => expect(clock.pendingTimers()).toBe(1));
    // Nobody is under way any more; a quiet group would have been read at once.
    await clock.advance(1_999);
    expect(memberReads()).toHaveLength(0);
    await provider.revoke(last);
    const lastRead = provider.readBack(last);
    await clock.advance(0);
    await clock.advance(1);
    expect([...(await first), await lastRead].every((r) => r.status === "gone")).toBe(true);
    expect(memberReads()).toHaveLength(1);
  });

  it("revokes begun more than a second apart do not make a group busy", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const grants = heldGrants(20);
    for (const grant of grants.slice(0, 19)) {
      await provider.revoke(grant);
      expect((await provider.readBack(grant)).status).toBe("gone");
    }
    await clock.advance(1_001);
    const [last] = grants.slice(19);
    if (!last) throw new Error("no grant");
    await provider.revoke(last);
    expect((await provider.readBack(last)).status).toBe("gone");
    expect(memberReads()).toHaveLength(20);
  });

  it("unthrottled, a read-back waits 25 ms for a revoke still under way, then goes alone", async () => {
    const clock = new ManualClock();
    f = await startEntraFixture({ replicationDelayMs: 0, clock });
    const provider = groupProvider();
    const [first, second] = heldGrants(2);
    if (!first || !second) throw new Error("no grants");
    await provider.revoke(first);
    await provider.revoke(second);
    const firstRead = provider.readBack(first);
    await vi.waitFor(() => expect(clock.pendingTimers()).toBe(1));
    await clock.advance(24);
    expect(memberReads()).toHaveLength(0);
    await clock.advance(1);
    expect((await firstRead).status).toBe("gone");
    expect(memberReads()).toHaveLength(1);
    expect((await provider.readBack(second)).status).toBe("gone");
    expect(memberReads()).toHaveLength(2);
  });

  it("the fake refuses a members filter longer than Graph's 2,048-character URL, as it refuses other queries", async () => {
    f = await startEntraFixture({ replicationDelayMs: 0 });
    const { createGraphClient } = await import("../../src/grants/entra/graph.js");
    const client = createGraphClient({ env: { GRAPH_BASE_URL: f.graph.baseUrl }, maxRetries: 0 });
    const ids = Array.from({ length: idsPerRead() + 1 }, () => `'${randomUUID()}'`).join(",");
    const refused = await client
      .api(`/groups/${f.groupId}/members?$count=true&$select=id&$filter=id in (${ids})`)
      .header("ConsistencyLevel", "eventual")
      .get()
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: "Request_UnsupportedQuery" });
  });
});
