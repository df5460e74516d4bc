/**
 * Two bots on one PostgreSQL schema, sharing one Slack and one clock: the confirmation deadline
 * is the grant's due time in the database, so it holds whichever replica files, confirms or sweeps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { PEOPLE, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { breakGlass, current } from "./support.js";

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
  const clock = new ManualClock("2026-03-04T10:00:00Z");
  const shared = { location: freshSchemaUrl(), clock, slack: { api: slack, apiUrl } };
  const bots: TestBot[] = [];
  open.push({ bots, slack });
  bots.push(await startTestBot({ ...shared, replicaId: "replica-a" }));
  bots.push(await startTestBot({ ...shared, replicaId: "replica-b" }));
  const [a, b] = bots;
  if (!a || !b) throw new Error("two replicas");
  return { a, b, clock };
}

describe.runIf(testDatabaseUrl())("break glass across two replicas", () => {
  it("filed on one and not confirmed: revoked once, at the deadline, whichever replica sweeps", async () => {
    const { a, b, clock } = await twoReplicas();
    const { id } = await breakGlass(a);
    const deadline = (await a.store.requests.mustGet(id)).breakGlass?.confirmBy as Date;
    await clock.advance(deadline.getTime() - clock.now().getTime());
    await Promise.all([a.bot.engine.sweep(), b.bot.engine.sweep()]);
    await waitFor(async () => (await b.store.requests.mustGet(id)).status === "revoked", "the revoke");
    await Promise.all([a.settle(), b.settle()]);
    const trail = await b.store.auditTrail(id);
    expect(trail.filter((row) => row.action === "request.revoked")).toHaveLength(1);
    expect((await b.store.grants.get(id))?.endReason).toBe("not_confirmed");
  });

  it("filed on one and confirmed on the other: neither revokes it at the deadline", async () => {
    const { a, b, clock } = await twoReplicas();
    const { id, message } = await breakGlass(a);
    await b.driver.click("U0LEAD", current(b, message), "jit_confirm_break_glass");
    await waitFor(async () => (await a.store.requests.mustGet(id)).breakGlass?.confirmedBy, "the confirmation");
    await Promise.all([a.settle(), b.settle()]);
    await clock.advance(16 * 60_000);
    await Promise.all([a.bot.engine.sweep(), b.bot.engine.sweep()]);
    await Promise.all([a.settle(), b.settle()]);
    expect((await a.store.requests.mustGet(id)).status).toBe("active");
  });
});
