/**
 * Two replicas on one PostgreSQL schema, sharing one Slack and one clock: the end of a grant whose
 * telling was lost (its replica stopped, or Slack failed it) is told by a heartbeat exactly once,
 * however many replicas beat.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DM_CLAIM_STALE_MS } from "../../src/grants/lease.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { activeGrant, clockAt, FakeProvider, registryWith } from "../expiry/support.js";
import { examplePolicy, PEOPLE, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { textOf } from "../support/slack-driver.js";

const open: { bots: TestBot[]; slack: FakeSlackWebApi }[] = [];
afterEach(async () => {
  for (const { bots, slack } of open.splice(0)) {
    for (const bot of bots) await bot.close();
    await slack.close();
  }
});

async function twoReplicas() {
  const slack = new FakeSlackWebApi(PEOPLE);
  const apiUrl = await slack.listen();
  const shared = {
    location: freshSchemaUrl(),
    clock: clockAt(),
    policy: examplePolicy(),
    providers: registryWith(new FakeProvider("entra-group")),
    slack: { api: slack, apiUrl },
  };
  const bots: TestBot[] = [];
  open.push({ bots, slack });
  bots.push(await startTestBot({ ...shared, replicaId: "replica-a" }));
  bots.push(await startTestBot({ ...shared, replicaId: "replica-b" }));
  const [a, b] = bots;
  if (!a || !b) throw new Error("two replicas");
  return { a, b, slack };
}

/** Moves the shared clock a second at a time, letting the work of every live replica land. */
async function tickAll(bots: TestBot[], totalMs: number): Promise<void> {
  const [first] = bots;
  for (let done = 0; done < totalMs; done += 1_000) {
    await first?.clock.advance(1_000);
    await Promise.all(bots.map((bot) => bot.settle()));
    await Promise.all(bots.map((bot) => bot.store.databaseTime()));
  }
}

describe.runIf(testDatabaseUrl())("an end told late across two replicas", () => {
  it("is told once when both replicas' heartbeats find an end a stopped replica committed and never told", async () => {
    const { a, b, slack } = await twoReplicas();
    const { id } = await activeGrant(a, "aks-prod-sre", 3600);
    const ended = () => slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && /was revoked/.test(m.text));
    // What a third replica killed right after its commit leaves: ended, unclaimed, untold.
    await a.store.grants.end({ requestId: id, reason: "revoked", at: a.clock.now(), actor: "U0ALICE", detail: "x" });
    await tickAll([a, b], 45_000);
    await waitFor(() => ended().length === 1, "the end told");
    await tickAll([a, b], 3 * 60_000);
    expect(ended()).toHaveLength(1);
  }, 120_000);

  it("is told by the live replica, once, when the one that ended it lost its DM to Slack and stopped", async () => {
    const { a, b, slack } = await twoReplicas();
    const { id } = await activeGrant(a, "aks-prod-sre", 3600);
    const grant = await a.store.grants.get(id);
    if (!grant) throw new Error("no grant");
    const ended = () => slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && /has expired/.test(m.text));
    const credentials = () =>
      textOf(slack.dmsOf("U0ALICE").find((m) => m.ts === grant.dmTs) ?? { text: "", blocks: [] });
    slack.failNext("chat.postMessage", {
      error: "internal_error",
      matches: (args) => args.channel === "U0ALICE" && String(args.text).includes(id),
    });
    await a.clock.advance(3_600_000 - 5_000);
    await tickAll([a, b], 10_000);
    await waitFor(async () => (await a.store.grants.get(id))?.status === "ended", "the grant ends");
    await Promise.all([a.settle(), b.settle()]);
    expect(ended()).toEqual([]);
    expect(credentials()).not.toContain("FAKE-SECRET-123");
    // Whichever replica ended it stops, holding a claim on a notice Slack failed.
    const ender = [a, b].find((bot) => bot.logs.some((line) => line.includes('"access ended"') && line.includes(id)));
    const live = ender === a ? b : a;
    if (!ender) throw new Error("nobody ended it");
    await ender.close();
    await tickAll([live], DM_CLAIM_STALE_MS - 30_000);
    expect(ended()).toEqual([]);
    await tickAll([live], 45_000);
    await waitFor(() => ended().length === 1, "the end told by the live replica");
    await tickAll([live], 60_000);
    expect(ended()).toHaveLength(1);
  }, 120_000);
});
