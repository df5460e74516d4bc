import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import type { GrantType, Policy } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createAwsProviders } from "../../src/grants/aws/index.js";
import { createEntraProviders } from "../../src/grants/entra/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { ROLE_ARN } from "../aws/helpers.js";
import { type EntraFixture, SUBSCRIPTION_ID, startEntraFixture } from "../entra/harness.js";
import { FakeAws } from "../fakes/aws-server.js";
import { advanceUntil, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { textOf } from "../support/slack-driver.js";

/**
 * Bundles and grant lists end to end: signed Slack requests into the real Bolt app, the real Graph
 * SDK against the fake Graph (HTTPS) and the real AWS SDK against the fake AWS, time moved by the
 * injected clock.
 */
let entra: EntraFixture;
let aws: FakeAws;
let t: TestBot;
let aliceId = "";
const clock = new ManualClock(new Date());
const ALICE_ENTRY = "britive-test|arn:aws:iam::123456789012:role/people/alice";

function bundlePolicy(groupId: string): Policy {
  return parsePolicy(`
profiles:
  - id: aks-prod-sre
    title: AKS prod — SRE
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg-prod, subscriptionId: "${SUBSCRIPTION_ID}" }
    grant: { type: entra-group, groupId: "${groupId}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
  - id: eks-pod-manager
    title: EKS pod manager
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant: { type: aws-role, roleArn: "${ROLE_ARN}", maxSessionDuration: 2h }
    duration: { default: 1h, max: 2h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0OMAR] } }
  - id: eks-view
    title: EKS view (own role)
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant:
      type: eks-access-entry
      principalArn: "arn:aws:iam::123456789012:role/people/{user}"
      accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0OMAR] } }
  - id: eks-session-and-entry
    title: EKS — session and own entry
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant:
      - { type: aws-role, roleArn: "${ROLE_ARN}", maxSessionDuration: 2h }
      - type: eks-access-entry
        principalArn: "arn:aws:iam::123456789012:role/people/{user}"
        accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    duration: { default: 1h, max: 2h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
bundles:
  - id: incident-prod
    title: Prod incident (AKS + EKS)
    profiles: [aks-prod-sre, eks-pod-manager]
  - id: incident-view
    title: Prod incident, view only
    profiles: [aks-prod-sre, eks-view]
`);
}

beforeAll(async () => {
  entra = await startEntraFixture({ clock });
  aliceId = entra.graph.directory.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" }).id;
  aws = new FakeAws(() => clock.now());
  await aws.start();
  const policy = bundlePolicy(entra.groupId);
  const providers = new Map<GrantType, GrantProvider>([
    ...createEntraProviders({ env: { GRAPH_BASE_URL: entra.graph.baseUrl }, policy, clock }).map(
      (p) => [p.type, p] as const,
    ),
    ...createAwsProviders({ env: aws.env(), policy, clock }).map((p) => [p.type, p] as const),
  ]);
  t = await startTestBot({ policy, providers, clock });
});
afterAll(async () => {
  await t.close();
  await entra.close();
  await aws.close();
});

const isMember = () => entra.graph.directory.isMember(entra.groupId, aliceId);
const grantDm = (id: string) =>
  waitFor(
    () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /^(Access granted|Granting)/.test(m.text)),
    "the grant DM",
  );

describe("a bundle of an Entra and an AWS profile, through Slack", () => {
  it("is offered beside the profiles, with the strictest duration cap", async () => {
    await t.driver.command("U0ALICE", "request");
    const view = await waitFor(() => [...t.slack.views.values()].find((v) => v.userId === "U0ALICE"), "the modal");
    expect(JSON.stringify(view)).toContain("incident-prod");
    expect(JSON.stringify(view)).toContain("bundle of aks-prod-sre + eks-pod-manager");
    const over = await t.driver.submit("U0ALICE", view, {
      profile: "incident-prod",
      duration: String(3 * 3600),
      justification: "Investigating incident INC-7 in the cluster",
      ticket: "OPS-7",
    });
    // eks-pod-manager allows 2h: the bundle allows no more.
    expect(JSON.stringify(over.json)).toContain("at most 2h");
  });

  it("needs an approver from each set; grants both; one DM; both revoked at expiry", async () => {
    const { id, approval } = await fileRequest(t, "incident-prod", 3600);
    expect(textOf(approval)).toContain("AKS prod-aks (rg-prod) + EKS britive-test (us-west-2)");
    expect(textOf(approval)).toContain("1 for aks-prod-sre, 1 for eks-pod-manager");
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await t.settle();
    // Lee approves for aks-prod-sre only: eks-pod-manager's approver set is not yet satisfied.
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
    expect(isMember()).toBe(false);
    // Eve is in neither set.
    await t.driver.click("U0EVE", approval, "jit_approve");
    await waitFor(() => t.slack.ephemeralsFor("U0EVE").length > 0, "Eve's refusal");
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
    await t.driver.click("U0OMAR", approval, "jit_approve");
    const dm = await grantDm(id);
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(isMember()).toBe(true);
    const session = aws.sessions.at(-1);
    expect(session).toBeDefined();
    const text = textOf(dm);
    expect(text).toContain("Part 1 of 2: aks-prod-sre (entra-group)");
    expect(text).toContain("Part 2 of 2: eks-pod-manager (aws-role)");
    expect(text).toContain("az aks get-credentials --resource-group rg-prod --name prod-aks");
    expect(text).toContain("export AWS_ACCESS_KEY_ID=");
    expect(t.slack.dmsOf("U0ALICE").filter((m) => /^Access granted/.test(m.text) && m.text.includes(id))).toHaveLength(
      1,
    );
    // /jit list and App Home show the bundle like a profile.
    const list = await t.driver.command("U0ALICE", "list");
    expect(JSON.stringify(list.json)).toContain("Prod incident (AKS + EKS)");
    await t.driver.post(
      JSON.stringify({
        type: "event_callback",
        team_id: "T0PLAY",
        api_app_id: "A0JITBOT",
        event_id: `EvBundle${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: "app_home_opened", user: "U0ALICE", channel: "DU0ALICE", tab: "home", event_ts: "1.1" },
      }),
      "application/json",
    );
    await waitFor(
      () => JSON.stringify(t.slack.homes.get("U0ALICE") ?? {}).includes("Prod incident (AKS + EKS)"),
      "App Home",
    );
    // Refresh issues a new STS session for the aws-role part only; the Entra part is left as it is.
    const writes = entra.graph.writes().length;
    const sessions = aws.sessions.length;
    await t.driver.click("U0ALICE", dm, "jit_refresh");
    const fresh = await waitFor(
      () =>
        t.slack
          .dmsOf("U0ALICE")
          .find((m) => m.ts !== dm.ts && m.text.includes(id) && textOf(m).includes("Fresh credentials")),
      "the refreshed DM",
    );
    expect(aws.sessions.length).toBe(sessions + 1);
    expect(entra.graph.writes().length).toBe(writes);
    expect(textOf(fresh)).toContain("eks-pod-manager (aws-role)");
    expect(textOf(fresh)).toContain(aws.sessions.at(-1)?.secretAccessKey ?? "missing");
    const grant = await t.store.grants.get(id);
    expect(grant?.provider).toBe("composite");
    for (const issued of aws.sessions.slice(-2))
      expect(JSON.stringify(grant?.state)).not.toContain(issued.secretAccessKey);
    await advanceUntil(
      t,
      3600_000 + 1_000,
      async () => (await t.store.requests.mustGet(id)).status === "expired",
      "the expiry",
    );
    expect(isMember()).toBe(false);
    const ended = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /expired/.test(m.text)),
      "the expiry DM",
    );
    expect(textOf(ended)).toContain("aks-prod-sre (entra-group):");
    expect(textOf(ended)).toContain("eks-pod-manager (aws-role):");
  });

  it("two approvers of different sets at the same instant: exactly one approval, one grant", async () => {
    const { id } = await fileRequest(t, "incident-prod", 3600);
    const settled = await Promise.allSettled([
      t.bot.service.decide(id, "U0LEAD", "approve"),
      t.bot.service.decide(id, "U0OMAR", "approve"),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled"]);
    await grantDm(id);
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    await t.store.linkAudits();
    const approvedRows = await t.store.kysely
      .selectFrom("audit_events")
      .select("action")
      .where("request_id", "=", id)
      .where("action", "=", "request.approved")
      .execute();
    expect(approvedRows).toHaveLength(1);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
  });

  it("rolls the Entra part back when the AWS part fails, and tells the requester which failed", async () => {
    const { id, approval } = await fileRequest(t, "incident-prod", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await t.settle();
    aws.forbidNext();
    await t.driver.click("U0OMAR", approval, "jit_approve");
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /failed/.test(m.text)),
      "the failure DM",
    );
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("failed");
    expect(isMember()).toBe(false);
    expect(textOf(dm)).toContain("Granting part 2 of 2, eks-pod-manager (aws-role) failed:");
    expect(textOf(dm)).toContain("was rolled back");
  });

  it("a revoke that fails for the EKS part keeps the grant due, removes the Entra part, and the retry finishes without redoing it", async () => {
    const { id, approval } = await fileRequest(t, "incident-view", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await t.driver.click("U0OMAR", approval, "jit_approve");
    await grantDm(id);
    await t.settle();
    expect(isMember()).toBe(true);
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(true);
    // The reaper and the drift report see a live bundle grant behind what each part holds.
    const posts = t.slack.messagesIn("C0APPROVALS").length;
    await t.bot.scheduler.run("reap");
    await t.bot.scheduler.run("drift");
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(true);
    expect(isMember()).toBe(true);
    expect(
      t.slack
        .messagesIn("C0APPROVALS")
        .slice(posts)
        .map((m) => m.text),
    ).toEqual([]);
    aws.failNext(503, "ServiceUnavailableException", "Service unavailable");
    await clock.advance(3600_000 + 1_000);
    await waitFor(async () => (await t.store.grants.get(id))?.revokeAttempts === 1, "the failed revoke");
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(isMember()).toBe(false);
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(true);
    expect((await t.store.grants.get(id))?.state["p0:revoked"]).toBe(true);
    const removals = entra.graph.writes().filter((w) => w.startsWith("DELETE")).length;
    await advanceUntil(
      t,
      10 * 60_000,
      async () => (await t.store.requests.mustGet(id)).status === "expired",
      "the retried revoke",
    );
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(false);
    expect(entra.graph.writes().filter((w) => w.startsWith("DELETE")).length).toBe(removals);
  });
});

describe("a profile whose grant is a list of two types", () => {
  it("grants the STS session and the access entry together, and the DM says which part ends where", async () => {
    const { id, approval } = await fileRequest(t, "eks-session-and-entry", 3600);
    expect(textOf(approval)).toContain("aws-role + eks-access-entry");
    await t.driver.click("U0LEAD", approval, "jit_approve");
    const dm = await grantDm(id);
    await t.settle();
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(true);
    const text = textOf(dm);
    expect(text).toContain("Part 1 of 2: eks-session-and-entry (aws-role)");
    expect(text).toContain("Part 2 of 2: eks-session-and-entry (eks-access-entry)");
    expect(text).toMatch(/aws-role ends it itself at .* UTC; jitbot removes it at .* UTC at the latest/);
    expect(text).toMatch(/Ends: jitbot removes it at .* UTC\./);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect(aws.accessEntries.has(ALICE_ENTRY)).toBe(false);
  });
});
