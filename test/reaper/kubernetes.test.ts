/**
 * The orphan reaper on kubernetes-rolebinding grants: bindings labelled
 * `app.kubernetes.io/managed-by: jitbot` on the profile's cluster that no live grant explains, found
 * through the real client on the fake API server (EKS: jitbot's presigned-STS token).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GrantType, type Profile, policySchema } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { bindingTarget } from "../../src/grants/kubernetes/binding.js";
import { createKubernetesProvider } from "../../src/grants/kubernetes/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import type { Binding } from "../fakes/kube-rbac.js";
import type { FakeKube } from "../fakes/kube-server.js";
import { EKS_KEYS, kubeProfile, startEksKube } from "../kubernetes/support.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { auditOf, channelCount, channelPosts } from "./support.js";

const STS_ORIGIN = "http://127.0.0.1:9";
const ALICE = "jitbot:alice-contoso.com";
const OMAR = "jitbot:omar-contoso.com";
const REVIEW = { verb: "get", resource: "pods" };
const clock = new ManualClock(new Date());
let kube: FakeKube;
let t: TestBot;

const grantOf = (profile: Profile) => {
  if (profile.grant.type !== "kubernetes-rolebinding") throw new Error("not a binding profile");
  return profile.grant;
};
const profileOf = (id: string) => {
  const found = t.policy.profiles.find((p) => p.id === id);
  if (!found) throw new Error(`no profile ${id}`);
  return found;
};

/** What a create that was still in transit leaves on the cluster after jitbot rolled the grant back. */
function plant(profileId: string, requestId: string, user: string, labels?: Record<string, string>): string {
  const grant = grantOf(profileOf(profileId));
  const target = bindingTarget(requestId, grant);
  const binding: Binding = {
    metadata: {
      name: target.name,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      labels: labels ?? { "app.kubernetes.io/managed-by": "jitbot", "jitbot/request-id": requestId },
      uid: `uid-${target.name}`,
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: grant.roleRef.kind, name: grant.roleRef.name },
    subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }],
  };
  const store = target.namespace ? kube.roleBindings : kube.clusterRoleBindings;
  const key = target.namespace ? `${target.namespace}/${target.name}` : target.name;
  store.set(key, binding);
  return key;
}
const exists = (key: string) => kube.roleBindings.has(key) || kube.clusterRoleBindings.has(key);

/** A request whose create the API server refused (500): the grant fails and is rolled back. */
async function rolledBack(profileId: string, userId = "U0ALICE"): Promise<string> {
  kube.failNext(500, "InternalError", "Internal error occurred: etcdserver: request timed out");
  const { id, approval } = await fileRequest(t, profileId, 3600, userId);
  await t.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(async () => (await t.store.grants.get(id))?.status === "failed", "the rolled-back grant");
  await t.bot.engine.idle();
  return id;
}

beforeAll(async () => {
  kube = await startEksKube(clock, { clusterName: "prod-eks", stsOrigin: STS_ORIGIN });
  const policy = policySchema.parse({
    clusters: [{ name: "prod-eks", server: kube.url, caData: kube.caData }],
    profiles: [
      kubeProfile("eks-view", "eks", {
        roleRef: { kind: "ClusterRole", name: "view" },
        namespace: "payments",
        review: REVIEW,
      }),
      kubeProfile("eks-view-all", "eks", { roleRef: { kind: "ClusterRole", name: "view" }, review: REVIEW }),
    ],
  });
  const provider = createKubernetesProvider({
    env: { AWS_ENDPOINT_URL_STS: STS_ORIGIN },
    policy,
    clock,
    awsCredentials: async () => EKS_KEYS,
  });
  t = await startTestBot({ policy, providers: new Map<GrantType, GrantProvider>([[provider.type, provider]]), clock });
  await t.bot.scheduler.startupReap;
  // Bindings someone else made in the namespace: never jitbot's business, whatever their names.
  kube.roleBindings.set("payments/team-view", {
    metadata: { name: "team-view", namespace: "payments", labels: { team: "payments" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "payments-devs" }],
  });
});
afterAll(async () => {
  await t.close();
  await kube.close();
});

describe("the orphan reaper on kubernetes-rolebinding grants", () => {
  it("deletes a RoleBinding labelled for a rolled-back request, audits it and announces it once", async () => {
    const id = await rolledBack("eks-view");
    const key = plant("eks-view", id, ALICE);
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(exists(key)).toBe(false);
    expect(kube.allows(ALICE, { verb: "get", group: "", resource: "pods", namespace: "payments" })).toBe(false);
    expect(await auditOf(t, "orphan.removed")).toEqual([
      expect.objectContaining({
        requestId: id,
        detail: expect.objectContaining({
          profile: "eks-view",
          result: expect.stringMatching(/^deleted RoleBinding jitbot-/),
        }),
      }),
    ]);
    const posts = channelPosts(t, before);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.text).toContain("orphaned");
    expect(JSON.stringify(posts[0]?.blocks)).toContain(ALICE);
    // Idempotent: the next pass finds nothing and says nothing; the team's binding is untouched.
    await t.bot.scheduler.run("reap");
    expect(channelPosts(t, before)).toHaveLength(1);
    expect(kube.roleBindings.has("payments/team-view")).toBe(true);
  });

  it("deletes a ClusterRoleBinding orphan too, and leaves a live grant's binding alone", async () => {
    const orphan = await rolledBack("eks-view-all", "U0OMAR");
    const key = plant("eks-view-all", orphan, OMAR);
    const { id, approval } = await fileRequest(t, "eks-view-all", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await t.store.grants.get(id))?.status === "active", "Alice's grant");
    const live = bindingTarget(id, grantOf(profileOf("eks-view-all"))).name;
    await t.bot.scheduler.run("reap");
    expect(exists(key)).toBe(false);
    expect(kube.clusterRoleBindings.has(live)).toBe(true);
    await t.bot.engine.endEarly(id, "U0ALICE");
    expect(kube.clusterRoleBindings.has(live)).toBe(false);
  });

  it("deletes nothing when the listing fails, and removes the orphan on the next pass", async () => {
    const id = await rolledBack("eks-view");
    const key = plant("eks-view", id, ALICE);
    const audits = (await auditOf(t, "orphan.removed")).length;
    const before = channelCount(t);
    kube.failNext(503, "ServiceUnavailable", "the server is currently unable to handle the request");
    await t.bot.scheduler.run("reap");
    expect(exists(key)).toBe(true);
    expect(await auditOf(t, "orphan.removed")).toHaveLength(audits);
    expect(channelPosts(t, before)).toHaveLength(0);
    expect(t.logs.join("\n")).toContain("listing what jitbot created failed");
    await t.bot.scheduler.run("reap");
    expect(exists(key)).toBe(false);
  });

  it("never deletes a binding naming a request this database does not know, nor one without jitbot's label", async () => {
    const foreign = plant("eks-view", "JR-OTHER1", OMAR);
    const unlabelled = plant("eks-view", "JR-OTHER2", OMAR, { "jitbot/request-id": "JR-OTHER2" });
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(exists(foreign)).toBe(true);
    expect(exists(unlabelled)).toBe(true);
    await t.bot.scheduler.run("drift");
    const drift = channelPosts(t, before);
    expect(drift).toHaveLength(1);
    expect(drift[0]?.text).toContain("Drift");
    expect(JSON.stringify(drift[0]?.blocks)).toContain("JR-OTHER1");
    expect(JSON.stringify(drift[0]?.blocks)).not.toContain("JR-OTHER2");
    kube.roleBindings.delete(foreign);
    kube.roleBindings.delete(unlabelled);
  });
});
