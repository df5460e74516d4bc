/**
 * kubernetes-rolebinding end to end: signed Slack requests into the real bot, Lee approves, the real
 * client creates the binding on the fake API server (AKS: Entra token, the person's UPN read from the
 * fake Graph; EKS: presigned-STS token, the access entry's username), the cluster's own review says
 * allowed; at the end — expiry on the injected clock, or an early /jit revoke — the binding goes and
 * the review says denied, recorded with the lag. A review that still allows keeps the grant due.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GrantType, policySchema } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createKubernetesProvider } from "../../src/grants/kubernetes/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { TENANT_ID } from "../entra/harness.js";
import { FakeProvider } from "../expiry/support.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import type { FakeKube } from "../fakes/kube-server.js";
import { EKS_KEYS, kubeProfile, startAksKube, startEksKube } from "../kubernetes/support.js";
import { auditOf, driveClock } from "../readback/support.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { requestAndApprove } from "./helpers.js";

const STS_ORIGIN = "http://127.0.0.1:9";
/** Alice's UPN differs from the email Slack knows: the binding must name the UPN. */
const ALICE_UPN = "alice.requester@contoso.onmicrosoft.com";
const ALICE_EKS = "jitbot:alice-contoso.com";
const PODS = { verb: "get", group: "", resource: "pods", namespace: "payments" };

const clock = new ManualClock(new Date());
let graph: FakeGraph;
let aks: FakeKube;
let eks: FakeKube;
let t: TestBot;
/** The Entra part of a grant list; the binding part is the real provider. */
const entraGroup = new FakeProvider("entra-group");

beforeAll(async () => {
  graph = await startFakeGraph();
  graph.directory.replicationDelayMs = 0;
  graph.directory.addUser({ userPrincipalName: ALICE_UPN, mail: "alice@contoso.com" });
  aks = await startAksKube(clock);
  eks = await startEksKube(clock, { clusterName: "prod-eks", stsOrigin: STS_ORIGIN });
  const grant = { roleRef: { kind: "ClusterRole", name: "view" }, namespace: "payments" };
  const policy = policySchema.parse({
    entra: { tenantId: TENANT_ID },
    clusters: [
      { name: "prod-aks", server: aks.url, caData: aks.caData },
      { name: "prod-eks", server: eks.url, caData: eks.caData },
    ],
    profiles: [
      kubeProfile("aks-view", "aks", grant),
      kubeProfile("eks-view", "eks", grant),
      // Authentication through the Entra group, authorisation through jitbot's own binding.
      {
        ...kubeProfile("aks-group-and-binding", "aks", grant),
        grant: [
          { type: "entra-group", groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" },
          { type: "kubernetes-rolebinding", ...grant },
        ],
      },
    ],
  });
  const provider = createKubernetesProvider({
    env: { GRAPH_BASE_URL: graph.baseUrl, AWS_ENDPOINT_URL_STS: STS_ORIGIN },
    policy,
    clock,
    awsCredentials: async () => EKS_KEYS,
  });
  const providers = new Map<GrantType, GrantProvider>([
    [provider.type, provider],
    [entraGroup.type, entraGroup],
  ]);
  t = await startTestBot({ policy, providers, clock });
});
afterAll(async () => {
  await t.close();
  await Promise.all([aks.close(), eks.close(), graph.close()]);
});

const ended = async (id: string) =>
  (await auditOf(t.store, id)).find((r) => r.action === "request.revoked" || r.action === "request.expired");
const alerts = (id: string) =>
  t.slack.messagesIn("C0APPROVALS").filter((m) => m.text.startsWith(`Could not revoke ${id}`));

describe.each([
  { kind: "AKS", profile: "aks-view", user: ALICE_UPN, cluster: () => aks },
  { kind: "EKS", profile: "eks-view", user: ALICE_EKS, cluster: () => eks },
])("kubernetes-rolebinding on $kind through Slack", ({ profile, user, cluster }) => {
  it("request → approve → the review allows → expiry → the review denies, recorded with the lag", async () => {
    const { id, dm } = await requestAndApprove(t, profile, 3600);
    const grant = await t.store.grants.get(id);
    expect(grant?.state).toMatchObject({ user, reviewAllowed: true });
    expect(cluster().allows(user, PODS)).toBe(true);
    expect(cluster().reviews.at(-1)).toMatchObject({ user, allowed: true });
    const text = textOf(dm);
    const endsAt = grant?.expiresAt ?? new Date(0);
    const unix = Math.floor(endsAt.getTime() / 1000);
    expect(text).toContain(
      `Enforced by the cluster: ends at <!date^${unix}^{time_secs}|${endsAt.toISOString().slice(11, 19)} UTC>`,
    );
    expect(text).toContain(`the cluster knows you as ${user}`);

    await t.clock.advance(3600_000 + 1_000);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect(cluster().allows(user, PODS)).toBe(false);
    expect(cluster().bindingsOf(user)).toEqual([]);
    expect(cluster().reviews.at(-1)).toMatchObject({ user, allowed: false });
    expect((await ended(id))?.detail).toMatchObject({
      verified: true,
      detail: expect.stringMatching(/^deleted RoleBinding jitbot-jr-/),
      readBack: expect.stringMatching(
        /denies .* get pods in payments \(SubjectAccessReview\), \d+\.\d{3} s after the end$/,
      ),
    });
  });

  it("request → approve → early /jit revoke → the review denies at once", async () => {
    const { id } = await requestAndApprove(t, profile, 3600);
    expect(cluster().allows(user, PODS)).toBe(true);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect(cluster().allows(user, PODS)).toBe(false);
    const readBack = String((await ended(id))?.detail.readBack);
    expect(readBack).toMatch(/denies .* \(SubjectAccessReview\), 0\.000 s after the end$/);
  });
});

describe("a review that still allows after the revoke", () => {
  it("keeps the grant due and alerts the channel, and ends it once the cluster denies", async () => {
    const { id } = await requestAndApprove(t, "eks-view", 3600);
    // Someone bound Alice to view by hand meanwhile: deleting jitbot's binding does not end her access.
    eks.roleBindings.set("payments/by-hand", {
      metadata: { name: "by-hand", namespace: "payments" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: ALICE_EKS }],
    });
    await driveClock(t.clock, t.bot.engine.endEarly(id, "U0ALICE"));
    // On PostgreSQL the revoke may be the sweep's that the end's NOTIFY woke, still running here.
    const grant = await driveClock(
      t.clock,
      (async () => {
        for (;;) {
          const read = await t.store.grants.get(id);
          if (read?.lastError) return read;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })(),
    );
    expect(grant?.status).toBe("active");
    expect(grant?.lastError).toContain(
      'still allows jitbot:alice-contoso.com get pods in payments (RBAC: allowed by RoleBinding "by-hand/payments"',
    );
    expect(await ended(id)).toBeUndefined();
    await waitFor(() => alerts(id).length === 1, "the channel alert");

    eks.roleBindings.delete("payments/by-hand");
    // The retry comes with the revoker's backoff (longer on a replica that also saw NOTIFY wake-ups).
    for (let step = 0; step < 40 && (await t.store.requests.mustGet(id)).status !== "revoked"; step++) {
      await driveClock(
        t.clock,
        (async () => {
          await t.clock.advance(15_000);
          return t.bot.engine.sweep();
        })(),
      );
    }
    expect((await t.store.requests.mustGet(id)).status).toBe("revoked");
    expect((await ended(id))?.detail).toMatchObject({ verified: true });
  });
});

describe("a grant list: an Entra group for sign-in, a binding for what the person may do", () => {
  it("grants both parts, says in one DM which part ends where, and ends both at expiry", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-group-and-binding", 3600);
    expect(entraGroup.granted.has(id)).toBe(true);
    expect(aks.allows(ALICE_UPN, PODS)).toBe(true);
    const text = textOf(dm);
    expect(text).toContain("entra-group");
    expect(text).toContain("kubernetes-rolebinding");
    expect(text).toMatch(/Part 1 of 2: aks-group-and-binding \(entra-group\)[\s\S]*Ends: jitbot removes it at/);
    expect(text).toMatch(
      /Part 2 of 2: aks-group-and-binding \(kubernetes-rolebinding\)[\s\S]*Ends: enforced by the cluster: ends at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );

    await t.clock.advance(3600_000 + 1_000);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect(entraGroup.revoked.get(id)).toBe(1);
    expect(aks.allows(ALICE_UPN, PODS)).toBe(false);
    expect(aks.bindingsOf(ALICE_UPN)).toEqual([]);
  });
});
