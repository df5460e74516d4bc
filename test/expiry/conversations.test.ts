import { afterEach, describe, expect, it } from "vitest";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { activeGrant, approvalNow, clockAt, FakeProvider, fileRequest, registryWith } from "./support.js";

const MINUTE = 60_000;
const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

async function bot(options: Parameters<typeof startTestBot>[0] = {}): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), ...options });
  open.push(t);
  return t;
}

/** Slack's Events API delivery of "the person opened the app's Home tab". */
function openHome(t: TestBot, userId: string) {
  const body = JSON.stringify({
    token: "unused",
    team_id: "T0PLAY",
    api_app_id: "A0JITBOT",
    type: "event_callback",
    event_id: `Ev${userId}${t.slack.calls.length}`,
    event_time: Math.floor(t.clock.now().getTime() / 1000),
    event: { type: "app_home_opened", user: userId, channel: `D${userId}`, tab: "home", event_ts: "1.000001" },
  });
  return t.driver.post(body, "application/json");
}

describe("undecided requests time out", () => {
  it("reminds the approval thread once half-way, then times out, tells the requester and retires the buttons", async () => {
    const t = await bot();
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const stale = structuredClone(approval);
    const thread = () => t.slack.messagesIn("C0APPROVALS").filter((m) => m.thread_ts === approval.ts);

    await t.clock.advance(119 * MINUTE);
    await t.bot.scheduler.run("approval-timeouts");
    expect(thread()).toHaveLength(0);
    await t.clock.advance(MINUTE);
    await t.bot.scheduler.run("approval-timeouts");
    await t.clock.advance(MINUTE);
    await t.bot.scheduler.run("approval-timeouts");
    expect(thread()).toHaveLength(1);
    expect(thread()[0]?.text).toContain(`${id} is still waiting for a decision`);
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");

    await t.clock.advance(119 * MINUTE);
    await t.bot.scheduler.run("approval-timeouts");
    expect((await t.store.requests.mustGet(id)).status).toBe("timed_out");
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("timed out")),
      "the time-out DM",
    );
    const updated = approvalNow(t, approval);
    expect(textOf(updated)).toContain("Timed out");
    expect(textOf(updated)).not.toContain("jit_approve");
    expect(thread()).toHaveLength(1);

    // A click on a copy of the old message (a stale client) changes nothing and says why.
    await t.driver.click("U0LEAD", stale, "jit_approve");
    await waitFor(
      () => t.slack.ephemeralsFor("U0LEAD").find((m) => m.text.includes("already timed out")),
      "the refusal",
    );
    expect((await t.store.requests.mustGet(id)).status).toBe("timed_out");
  });
});

describe("drift report", () => {
  it("posts once to the profile channel naming only the member no grant or standing rule explains", async () => {
    const policy = examplePolicy((yaml) =>
      yaml.replace("standingMembers: []", "standingMembers: [breakglass@contoso.com]"),
    );
    const fake = new FakeProvider("entra-group");
    fake.members = (profile) =>
      profile.id === "aks-prod-sre"
        ? [
            { id: "entra-U0ALICE", displayName: "Alice Requester", userPrincipalName: "alice@contoso.com" },
            { id: "bg-1", displayName: "Break Glass", userPrincipalName: "breakglass@contoso.com" },
            { id: "mal-1", displayName: "Mallory Stale", userPrincipalName: "mallory@contoso.com" },
          ]
        : [];
    const t = await bot({ policy, providers: registryWith(fake) });
    await activeGrant(t, "aks-prod-sre", 3600);
    const before = t.slack.messagesIn("C0APPROVALS").length;
    await t.bot.scheduler.run("drift");
    const posts = t.slack.messagesIn("C0APPROVALS").slice(before);
    expect(posts).toHaveLength(1);
    const text = textOf(posts[0] ?? { text: "", blocks: [] });
    expect(text).toContain("Drift report");
    expect(text).toContain("mallory@contoso.com");
    expect(text).not.toContain("alice@contoso.com");
    expect(text).not.toContain("breakglass@contoso.com");
  });
});

describe("where people see their access", () => {
  it("/jit list shows time left, and App Home shows active grants, pending requests and what waits on an approver", async () => {
    const t = await bot();
    const active = await activeGrant(t, "aks-prod-sre", 7200);
    await t.clock.advance(30 * MINUTE);
    const pending = await fileRequest(t, "aks-prod-dev", 3600);

    const list = JSON.stringify((await t.driver.command("U0ALICE", "list")).json);
    expect(list).toContain(active.id);
    expect(list).toContain("1h 30m left");
    expect(list).toContain(pending.id);

    await openHome(t, "U0ALICE");
    const home = JSON.stringify(await waitFor(() => t.slack.homes.get("U0ALICE"), "Alice's Home"));
    expect(home).toContain(active.id);
    expect(home).toContain("1h 30m left");
    expect(home).toContain(pending.id);
    expect(home).not.toContain("Waiting for your decision");

    await openHome(t, "U0LEAD");
    const lead = JSON.stringify(await waitFor(() => t.slack.homes.get("U0LEAD"), "Lee's Home"));
    expect(lead).toContain("Waiting for your decision");
    expect(lead).toContain(pending.id);
  });
});
