import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { SimulatedCrash } from "../../src/grants/engine.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { type EntraFixture, startEntraFixture } from "../entra/harness.js";
import { botDatabases, startTestBot, type TestBot, waitFor } from "../support/bot.js";

// Before the afterAll below: its databases go after the fixture is closed.
const databases = botDatabases();
let entra: EntraFixture;
afterAll(async () => {
  await entra.close();
});
beforeAll(async () => {
  entra = await startEntraFixture();
});

/** Crashes the first bot right after Graph added the member, before the store knew; restarts. */
async function crashThenRestart(standingMembers: string[]): Promise<{ second: TestBot; id: string; userId: string }> {
  const email = `crash-${standingMembers.length}@contoso.com`;
  const userId = entra.graph.directory.addUser({ userPrincipalName: email, mail: email }).id;
  const policy = structuredClone(entra.policy);
  for (const p of policy.profiles) p.standingMembers = standingMembers.map((m) => m.replace("{email}", email));
  const providers = () => new Map<GrantType, GrantProvider>(entra.providers.map((p) => [p.type, p]));
  const people = [
    { id: "U0ALICE", name: "Alice", email },
    { id: "U0LEAD", name: "Lee", email: "lee@contoso.com" },
  ];
  const location = databases.location();
  const first = await startTestBot({
    policy,
    providers: providers(),
    people,
    location,
    engine: {
      crashAfterProviderCall: (verb) => {
        if (verb === "grant") throw new SimulatedCrash("killed");
      },
    },
  });
  await first.driver.command("U0ALICE", "request aks-group");
  const view = await waitFor(() => [...first.slack.views.values()].at(-1), "the modal");
  await first.driver.submit("U0ALICE", view, {
    profile: "aks-group",
    duration: "3600",
    justification: "crash test for reconcile",
    ticket: "",
  });
  const approval = await waitFor(() => first.slack.messagesIn("C0APPROVALS")[0], "the approval");
  const id = /JR-[A-Z0-9]{6}/.exec(approval.text)?.[0] ?? "";
  await first.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(
    async () =>
      (await first.store.grants.get(id))?.status === "granting" &&
      entra.graph.directory.isMember(entra.groupId, userId),
    "the half-done grant",
  );
  await first.bot.engine.idle();
  await first.close();
  const second = await startTestBot({ policy, providers: providers(), people, location });
  return { second, id, userId };
}

describe("a crash between the Graph call and the store write", () => {
  it("is rolled back at start-up: the membership is removed and the requester told", async () => {
    const { second, id, userId } = await crashThenRestart([]);
    expect((await second.store.grants.get(id))?.status).toBe("failed");
    expect((await second.store.requests.mustGet(id)).status).toBe("failed");
    expect(entra.graph.directory.isMember(entra.groupId, userId)).toBe(false);
    await waitFor(
      () => second.slack.dmsOf("U0ALICE").some((m) => m.text.includes("restarted while granting")),
      "the DM",
    );
    await second.close();
  });

  it("leaves a declared standing member in place", async () => {
    const { second, id, userId } = await crashThenRestart(["{email}"]);
    expect((await second.store.requests.mustGet(id)).status).toBe("failed");
    expect(entra.graph.directory.isMember(entra.groupId, userId)).toBe(true);
    await second.close();
  });
});
