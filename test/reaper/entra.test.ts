import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { SimulatedCrash } from "../../src/grants/engine.js";
import { createGraphClient } from "../../src/grants/entra/graph.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { requestAndApprove } from "../e2e/helpers.js";
import { type EntraFixture, startEntraFixture } from "../entra/harness.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { auditOf, channelCount, channelPosts } from "./support.js";

const PIM_REQUESTS = "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";
let entra: EntraFixture;
let t: TestBot;
let aliceId: string;
let omarId: string;
let crashNextGrant = false;

const isMember = (id: string) => entra.graph.directory.isMember(entra.groupId, id);

/** Approves a request whose grant Graph refuses (403): the engine rolls it back and fails it. */
async function rolledBack(profileId: string, refused: RegExp): Promise<string> {
  entra.graph.forbidNext(refused);
  const { id } = await requestAndApprove(t, profileId, 3600);
  expect((await t.store.grants.get(id))?.status).toBe("failed");
  return id;
}

/** What a Graph call still in transit at the roll-back does when it lands. */
function lands(method: string, path: string, body: Record<string, unknown>): void {
  entra.graph.directory.route(method, path, new URLSearchParams(), body, entra.graph.baseUrl);
}

beforeAll(async () => {
  entra = await startEntraFixture();
  aliceId = entra.graph.directory.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" }).id;
  omarId = entra.graph.directory.addUser({ userPrincipalName: "omar@contoso.com", mail: "omar@contoso.com" }).id;
  const providers = new Map<GrantType, GrantProvider>(entra.providers.map((p) => [p.type, p]));
  t = await startTestBot({
    policy: entra.policy,
    providers,
    engine: {
      crashAfterProviderCall: (verb) => {
        if (verb === "grant" && crashNextGrant) {
          crashNextGrant = false;
          throw new SimulatedCrash("killed after the cloud call");
        }
      },
    },
  });
  await t.bot.scheduler.startupReap;
});
afterAll(async () => {
  await t.close();
  await entra.close();
});

describe("the orphan reaper on Entra", () => {
  it("removes a membership added after its grant was rolled back, audits it and announces it once", async () => {
    const id = await rolledBack("aks-group", /^POST \/groups\/.*\/members\/\$ref$/);
    lands("POST", `/groups/${entra.groupId}/members/$ref`, {
      "@odata.id": `${entra.graph.baseUrl}/v1.0/directoryObjects/${aliceId}`,
    });
    expect(isMember(aliceId)).toBe(true);
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(isMember(aliceId)).toBe(false);
    expect((await auditOf(t, "orphan.removed")).filter((a) => a.requestId === id)).toHaveLength(1);
    expect(channelPosts(t, before)).toHaveLength(1);
    await t.bot.scheduler.run("reap");
    expect(channelPosts(t, before)).toHaveLength(1);
    expect((await auditOf(t, "orphan.removed")).filter((a) => a.requestId === id)).toHaveLength(1);
  });

  it("removes a PIM assignment whose justification names a rolled-back request", async () => {
    const id = await rolledBack("aks-pim", /^POST \/identityGovernance\//);
    lands("POST", PIM_REQUESTS, {
      action: "adminAssign",
      accessId: "member",
      principalId: aliceId,
      groupId: entra.groupId,
      justification: `Investigating incident INC-7 in the cluster (jitbot ${id})`,
      scheduleInfo: {
        startDateTime: new Date().toISOString(),
        expiration: { type: "afterDuration", duration: "PT1H" },
      },
    });
    // PIM refuses a removal in an assignment's first five minutes; the reaper comes later than that.
    entra.clock.advance(5 * 60_000);
    await t.bot.scheduler.run("reap");
    expect(entra.graph.directory.pimAssignments.size).toBe(0);
    expect(isMember(aliceId)).toBe(false);
    const removed = (await auditOf(t, "orphan.removed")).filter((a) => a.requestId === id);
    expect(removed.some((a) => String(a.detail.key).startsWith("pim:"))).toBe(true);
    expect(entra.graph.writes()).toContain(`POST ${PIM_REQUESTS}`);
  });

  it("deletes a temporary application created for a rolled-back request", async () => {
    const id = await rolledBack("aks-sp", /^PATCH \/applications/);
    lands("PATCH", `/applications(uniqueName='jitbot-${id}')`, { displayName: "jitbot aks-sp alice@contoso.com" });
    // An application someone named alike by hand is not in jitbot's name space (no jitbot- unique name).
    lands("PATCH", "/applications(uniqueName='team-app')", { displayName: "jitbot aks-sp handmade" });
    // The reaper runs minutes later in life: by then Entra has replicated the new application.
    entra.clock.advance(15 * 60_000);
    await t.bot.scheduler.run("reap");
    expect(entra.graph.directory.applicationByUniqueName(`jitbot-${id}`)).toBeUndefined();
    expect(entra.graph.directory.applicationByUniqueName("team-app")).toBeDefined();
    expect(
      (await auditOf(t, "orphan.removed")).some((a) => a.requestId === id && String(a.detail.key).startsWith("app:")),
    ).toBe(true);
    const listing = entra.graph.calls.find((c) => c.method === "GET" && c.path === "/applications");
    expect(new URLSearchParams(listing?.query).get("$filter")).toBe("startswith(displayName,'jitbot aks-sp ')");
  });

  it("removes an orphaned membership next to an active grant's and a grant in flight's, and leaves those alone", async () => {
    const plantOmar = async () => {
      entra.graph.forbidNext(/^POST \/groups\/.*\/members\/\$ref$/);
      const { id, approval } = await fileRequest(t, "aks-group", 3600, "U0OMAR");
      await t.driver.click("U0LEAD", approval, "jit_approve");
      await waitFor(async () => (await t.store.grants.get(id))?.status === "failed", "Omar's rolled-back grant");
      await t.bot.engine.idle();
      lands("POST", `/groups/${entra.groupId}/members/$ref`, {
        "@odata.id": `${entra.graph.baseUrl}/v1.0/directoryObjects/${omarId}`,
      });
    };
    await plantOmar();
    const { id } = await requestAndApprove(t, "aks-group", 3600);
    await t.bot.scheduler.run("reap");
    expect(isMember(omarId)).toBe(false);
    expect(isMember(aliceId)).toBe(true);
    await t.bot.engine.endEarly(id, "U0ALICE");
    expect(isMember(aliceId)).toBe(false);

    await plantOmar();
    crashNextGrant = true;
    const filed = await fileRequest(t, "aks-group", 3600);
    await t.driver.click("U0LEAD", filed.approval, "jit_approve");
    await waitFor(
      async () => (await t.store.grants.get(filed.id))?.status === "granting" && isMember(aliceId),
      "the grant in flight",
    );
    await t.bot.engine.idle();
    await t.bot.scheduler.run("reap");
    expect(isMember(omarId)).toBe(false);
    expect(isMember(aliceId)).toBe(true);
    entra.graph.directory.groups.get(entra.groupId)?.delete(aliceId);
    await t.store.grants.fail({ requestId: filed.id, at: t.clock.now(), reason: "test clean-up" });
  });

  it("removes nothing when listing the group fails, and removes it on the next pass", async () => {
    await rolledBack("aks-group", /^POST \/groups\/.*\/members\/\$ref$/);
    lands("POST", `/groups/${entra.groupId}/members/$ref`, {
      "@odata.id": `${entra.graph.baseUrl}/v1.0/directoryObjects/${aliceId}`,
    });
    // Graph's retries (3) all answer 503 too.
    entra.graph.failNext(4, 0, /^GET \/groups\/[^/]+\/members$/);
    const audits = (await auditOf(t, "orphan.removed")).length;
    await t.bot.scheduler.run("reap");
    expect(isMember(aliceId)).toBe(true);
    expect(await auditOf(t, "orphan.removed")).toHaveLength(audits);
    await t.bot.scheduler.run("reap");
    expect(isMember(aliceId)).toBe(false);
  });

  it("only reports a member it cannot prove it added: once, again after it changes, again after it comes back", async () => {
    const carol = entra.graph.directory.addUser({ userPrincipalName: "carol@contoso.com", displayName: "Carol" });
    entra.graph.directory.groups.get(entra.groupId)?.add(carol.id);
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(isMember(carol.id)).toBe(true);
    await t.bot.scheduler.run("drift");
    await t.bot.scheduler.run("drift");
    const posts = () => channelPosts(t, before).filter((m) => JSON.stringify(m.blocks).includes("carol@contoso.com"));
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.text).toContain("Drift");

    carol.displayName = "Carol (renamed)";
    await t.bot.scheduler.run("drift");
    await t.bot.scheduler.run("drift");
    expect(posts()).toHaveLength(2);

    entra.graph.directory.groups.get(entra.groupId)?.delete(carol.id);
    await t.bot.scheduler.run("drift");
    entra.graph.directory.groups.get(entra.groupId)?.add(carol.id);
    await t.bot.scheduler.run("drift");
    expect(posts()).toHaveLength(3);
    expect(isMember(carol.id)).toBe(true);
  });
});

describe("the fake Graph refuses list queries the real one refuses", () => {
  it("answers 400 to an unsupported application filter and to a PIM listing not scoped by group or principal", async () => {
    const client = createGraphClient({ env: { GRAPH_BASE_URL: entra.graph.baseUrl }, maxRetries: 0 });
    await expect(client.api("/applications").filter("endswith(displayName,'x')").get()).rejects.toMatchObject({
      statusCode: 400,
      code: "Request_UnsupportedQuery",
    });
    await expect(
      client.api("/identityGovernance/privilegedAccess/group/assignmentScheduleInstances").get(),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(client.api("/applications").top(1000).get()).rejects.toMatchObject({ statusCode: 400 });
  });
});
