/**
 * Two bots on one PostgreSQL schema, sharing one Slack and one clock: two replicas of one app.
 * Periodic jobs run once per period between them; the minute jobs run on both and still act once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { examplePolicy, PEOPLE, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { activeGrant, clockAt, FakeProvider, fileRequest, Gate, registryWith, tick } from "./support.js";

const MINUTE = 60_000;
const open: { bots: TestBot[]; slack: FakeSlackWebApi }[] = [];
afterEach(async () => {
  for (const { bots, slack } of open.splice(0)) {
    for (const bot of bots) await bot.close();
    await slack.close();
  }
});

const withAuditChannel = () =>
  examplePolicy((yaml) => yaml.replace("# audit:\n#   channel: C0AUDIT", "audit:\n  channel: C0AUDIT"));

/** Two replicas, started one after the other (as a rollout does) on a fresh schema. */
async function twoReplicas(provider = new FakeProvider("entra-group")) {
  const slack = new FakeSlackWebApi(PEOPLE);
  const apiUrl = await slack.listen();
  const location = freshSchemaUrl();
  const clock = clockAt();
  const policy = withAuditChannel();
  const shared = { location, clock, policy, providers: registryWith(provider), slack: { api: slack, apiUrl } };
  const bots: TestBot[] = [];
  open.push({ bots, slack });
  bots.push(await startTestBot({ ...shared, replicaId: "replica-a" }));
  bots.push(await startTestBot({ ...shared, replicaId: "replica-b" }));
  const [a, b] = bots;
  if (!a || !b) throw new Error("two replicas");
  await Promise.all([a.bot.scheduler.startupReap, b.bot.scheduler.startupReap]);
  return { a, b, slack, clock, provider };
}

describe.runIf(testDatabaseUrl())("periodic jobs across two replicas", () => {
  it("posts one audit anchor a day: at the first start only, and once at the daily run", async () => {
    const { a, b, slack, clock } = await twoReplicas();
    const anchors = () => slack.messagesIn("C0AUDIT").filter((m) => m.text.startsWith("Audit anchor"));
    expect(anchors()).toHaveLength(1);
    // A third start the same day (a restart) posts none.
    expect(await b.bot.scheduler.runOncePerPeriod("audit-anchor")).toBe(false);
    expect(anchors()).toHaveLength(1);
    // The next day's cron fires on both: one posts.
    await clock.advance(18 * 3_600_000 + 13 * MINUTE);
    const ran = await Promise.all([
      a.bot.scheduler.runOncePerPeriod("audit-anchor"),
      b.bot.scheduler.runOncePerPeriod("audit-anchor"),
    ]);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(anchors()).toHaveLength(2);
  });

  it("reports drift once an hour and reaps once a quarter-hour, whichever replica's cron fires first", async () => {
    const { a, b, clock, provider } = await twoReplicas();
    // Each pass lists every entra-group profile once.
    let listings = 0;
    provider.listMembers = async () => {
      listings++;
      return [];
    };
    const pass = a.policy.profiles.filter((p) => p.grant.type === "entra-group").length;
    await clock.advance(7 * MINUTE);
    const both = (job: "drift" | "reap") =>
      Promise.all([a.bot.scheduler.runOncePerPeriod(job), b.bot.scheduler.runOncePerPeriod(job)]);
    expect((await both("drift")).filter(Boolean)).toHaveLength(1);
    expect(listings).toBe(pass);
    await clock.advance(8 * MINUTE);
    expect((await both("reap")).filter(Boolean)).toHaveLength(1);
    expect(listings).toBe(2 * pass);
    // The same hour and slot again: nobody runs; the next hour's drift runs once more.
    expect((await both("drift")).filter(Boolean)).toHaveLength(0);
    expect((await both("reap")).filter(Boolean)).toHaveLength(0);
    await clock.advance(60 * MINUTE);
    expect((await both("drift")).filter(Boolean)).toHaveLength(1);
    expect(listings).toBe(3 * pass);
  });

  it("never runs two reaper passes at once: a start-up pass waits for the other replica's pass", async () => {
    const { a, b, provider } = await twoReplicas();
    const gate = new Gate();
    provider.listMembers = async () => {
      await gate.pass();
      return [];
    };
    const first = a.bot.scheduler.run("reap");
    while (gate.entered === 0) await a.store.databaseTime();
    const second = b.bot.scheduler.run("reap");
    // A few round trips to the database: b is waiting on the lock, not listing.
    for (let i = 0; i < 5; i++) await b.store.databaseTime();
    expect(gate.entered).toBe(1);
    gate.open();
    await Promise.all([first, second]);
    expect(gate.entered).toBe(2 * a.policy.profiles.filter((p) => p.grant.type === "entra-group").length);
  });
});

describe.runIf(testDatabaseUrl())("minute jobs on both replicas act once", () => {
  it("sends one expiry reminder when both replicas' reminder jobs run at the same moment", async () => {
    const { a, b, slack } = await twoReplicas();
    const { id } = await activeGrant(a, "aks-prod-sre", 3600);
    await tick(a, 50 * MINUTE, MINUTE);
    await Promise.all([a.bot.scheduler.run("reminders"), b.bot.scheduler.run("reminders")]);
    await Promise.all([a.bot.scheduler.run("reminders"), b.bot.scheduler.run("reminders")]);
    const reminders = slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && m.text.includes("ends soon"));
    expect(reminders).toHaveLength(1);
  });

  it("reminds approvers once half-way and times a request out once, with both replicas' jobs running", async () => {
    const { a, b, slack, clock } = await twoReplicas();
    const { id, approval } = await fileRequest(a, "aks-prod-sre", 3600);
    const both = () =>
      Promise.all([a.bot.scheduler.run("approval-timeouts"), b.bot.scheduler.run("approval-timeouts")]);
    // The approval message's ts is stored just after it is posted: the reminder threads under it.
    await waitFor(async () => (await a.store.requests.mustGet(id)).approvalTs, "the approval ts stored");
    await clock.advance(121 * MINUTE);
    await both();
    await both();
    const thread = slack.messagesIn("C0APPROVALS").filter((m) => m.thread_ts === approval.ts);
    expect(thread).toHaveLength(1);
    await clock.advance(120 * MINUTE);
    await both();
    await both();
    expect((await a.store.requests.mustGet(id)).status).toBe("timed_out");
    const timedOut = await a.store.auditTrail(id);
    expect(
      timedOut.filter((event) => event.action.includes("timed_out") || event.action.includes("time_out")),
    ).toHaveLength(1);
    // One time-out DM (the receipt DM is updated in place to say so too).
    const dms = slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && m.text.includes("Nobody decided"));
    expect(dms).toHaveLength(1);
  });
});

describe.runIf(testDatabaseUrl())("App Home across two replicas", () => {
  const openHome = (t: TestBot, userId: string) =>
    t.driver.post(
      JSON.stringify({
        type: "event_callback",
        team_id: "T0PLAY",
        api_app_id: "A0JITBOT",
        event_id: `Ev${userId}${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: "app_home_opened", user: userId, channel: `D${userId}`, tab: "home", event_ts: "1.1" },
      }),
      "application/json",
    );

  it("refreshes the requester's Home opened on one replica after an approval on the other", async () => {
    const { a, b, slack } = await twoReplicas();
    const home = (userId: string) => JSON.stringify(slack.homes.get(userId) ?? {});
    await openHome(a, "U0ALICE");
    await openHome(a, "U0EVE");
    await waitFor(() => slack.homes.has("U0ALICE") && slack.homes.has("U0EVE"), "two homes");
    // Filed and approved through replica b, which never saw Alice open her Home.
    const { id, approval } = await fileRequest(b, "aks-prod-sre", 3600);
    await b.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(
      () => home("U0ALICE").includes(id) && home("U0ALICE").includes("jit_revoke"),
      "Alice's Home, current",
    );
    // Eve may not decide on aks-prod-sre: her Home is not re-published with it.
    await b.bot.engine.idle();
    expect(home("U0EVE")).not.toContain(id);
  });
});
