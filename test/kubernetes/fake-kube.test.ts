/**
 * The fake API server as jitbot's real client (@kubernetes/client-node) meets it, with jitbot's
 * real cluster credentials (cluster.ts): it must accept what the API server accepts and refuse, with
 * the same Status, what it refuses — else the provider tests prove nothing.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { kubeConfigFor, tokenSourceFor } from "../../src/grants/kubernetes/cluster.js";
import type { FakeKube } from "../fakes/kube-server.js";
import { aksClients, refusedWith } from "./fake-kube-clients.js";
import { EKS_KEYS, EKS_REGION, startAksKube, startEksKube } from "./support.js";

const STS_ORIGIN = "http://127.0.0.1:9";
const clusters: FakeKube[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

const binding = (name: string, user = "alice@contoso.com", role = "view") => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name, labels: { "app.kubernetes.io/managed-by": "jitbot" } },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
  subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }],
});

async function refusal(call: Promise<unknown>): Promise<{ code: number; reason?: string; message?: string }> {
  const { code, body } = await refusedWith(call);
  return { code, reason: body.reason as string | undefined, message: body.message as string | undefined };
}

const aks = (clock = new ManualClock(new Date())) => aksClients(clusters, clock);

async function eks(clock: ManualClock, tokenCluster = "prod-eks") {
  const kube = await startEksKube(clock, { clusterName: "prod-eks", stsOrigin: STS_ORIGIN });
  clusters.push(kube);
  const token = tokenSourceFor(
    { kind: "eks", name: tokenCluster, region: EKS_REGION },
    {
      env: { AWS_ENDPOINT_URL_STS: STS_ORIGIN },
      clock,
      awsCredentials: async () => EKS_KEYS,
      azureCredential: () => new DefaultAzureCredential(),
    },
  );
  const config = kubeConfigFor({ name: "prod-eks", server: kube.url, caData: kube.caData }, token);
  return { kube, rbac: config.makeApiClient(RbacAuthorizationV1Api) };
}

describe("the fake Kubernetes API server", () => {
  it("creates, reads, lists by label and deletes a RoleBinding; 409 on a second create, 404 on a second delete", async () => {
    const { rbac, kube } = await aks();
    const created = await rbac.createNamespacedRoleBinding({ namespace: "payments", body: binding("jitbot-jr-1") });
    expect(created.metadata?.uid).toBeTruthy();
    expect(kube.allows("alice@contoso.com", { verb: "get", group: "", resource: "pods", namespace: "payments" })).toBe(
      true,
    );
    expect(kube.allows("alice@contoso.com", { verb: "get", group: "", resource: "pods", namespace: "default" })).toBe(
      false,
    );
    expect(
      await refusal(rbac.createNamespacedRoleBinding({ namespace: "payments", body: binding("jitbot-jr-1") })),
    ).toEqual({
      code: 409,
      reason: "AlreadyExists",
      message: 'rolebindings.rbac.authorization.k8s.io "jitbot-jr-1" already exists',
    });
    const listed = await rbac.listNamespacedRoleBinding({
      namespace: "payments",
      labelSelector: "app.kubernetes.io/managed-by=jitbot",
    });
    expect(listed.items.map((b) => b.metadata?.name)).toEqual(["jitbot-jr-1"]);
    const none = await rbac.listNamespacedRoleBinding({
      namespace: "payments",
      labelSelector: "app.kubernetes.io/managed-by!=jitbot",
    });
    expect(none.items).toEqual([]);
    await rbac.deleteNamespacedRoleBinding({ name: "jitbot-jr-1", namespace: "payments" });
    expect(
      await refusal(rbac.deleteNamespacedRoleBinding({ name: "jitbot-jr-1", namespace: "payments" })),
    ).toMatchObject({
      code: 404,
      reason: "NotFound",
    });
  });

  it("refuses what the API server's validation refuses with 422 Invalid, and accepts a binding to a missing role", async () => {
    const { rbac } = await aks();
    for (const bad of [
      { ...binding("a/b") },
      { ...binding("ok-1"), metadata: { name: "ok-1", labels: { "jitbot/requester": "alice@contoso.com" } } },
      { ...binding("ok-2"), subjects: [{ kind: "Bogus", apiGroup: "rbac.authorization.k8s.io", name: "x" }] },
      { ...binding("ok-3"), roleRef: { apiGroup: "wrong.group", kind: "ClusterRole", name: "view" } },
    ]) {
      expect(await refusal(rbac.createNamespacedRoleBinding({ namespace: "payments", body: bad }))).toMatchObject({
        code: 422,
        reason: "Invalid",
      });
    }
    // The role is not resolved at create: the binding exists and grants nothing (rbac.md).
    const { rbac: again, kube } = await aks();
    kube.allowJitbot({ name: "0c1b7f4e-5a3d-4e0f-9d7c-6b1e2a3f4d5c", groups: [] }, ["no-such-role"]);
    await again.createNamespacedRoleBinding({
      namespace: "payments",
      body: binding("jitbot-jr-2", "bob", "no-such-role"),
    });
    expect(kube.bindingsOf("bob")).toHaveLength(1);
  });

  it("refuses a namespace that does not exist, and a role jitbot may not bind (escalation prevention)", async () => {
    const { rbac } = await aks();
    expect(await refusal(rbac.createNamespacedRoleBinding({ namespace: "nowhere", body: binding("x") }))).toMatchObject(
      {
        code: 404,
        reason: "NotFound",
      },
    );
    expect(
      await refusal(
        rbac.createNamespacedRoleBinding({ namespace: "payments", body: binding("y", "bob", "cluster-admin") }),
      ),
    ).toMatchObject({ code: 403, reason: "Forbidden" });
  });

  it("answers SubjectAccessReviews from the bindings it holds", async () => {
    const { rbac, authz } = await aks();
    const review = (user: string) =>
      authz.createSubjectAccessReview({
        body: {
          spec: { user, resourceAttributes: { namespace: "payments", verb: "get", group: "", resource: "pods" } },
        },
      });
    expect((await review("alice@contoso.com")).status?.allowed).toBe(false);
    await rbac.createNamespacedRoleBinding({ namespace: "payments", body: binding("jitbot-jr-3") });
    const allowed = await review("alice@contoso.com");
    expect(allowed.status).toMatchObject({
      allowed: true,
      reason: expect.stringContaining('RoleBinding "jitbot-jr-3/payments"'),
    });
  });

  it("answers non-resource reviews from ClusterRoleBindings, a trailing * matching a prefix", async () => {
    const { kube, authz } = await aks();
    kube.clusterRoles.set("probe", [{ verbs: ["get"], nonResourceURLs: ["/healthz*"] }]);
    kube.clusterRoleBindings.set("probe", {
      metadata: { name: "probe" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "probe" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob" }],
    });
    const review = async (path: string) =>
      (
        await authz.createSubjectAccessReview({
          body: { spec: { user: "bob", nonResourceAttributes: { path, verb: "get" } } },
        })
      ).status?.allowed;
    expect(await review("/healthz/ready")).toBe(true);
    expect(await review("/metrics")).toBe(false);
  });

  it("answers 401 to a token that is not for the AKS server application", async () => {
    const clock = new ManualClock(new Date());
    const kube = await startAksKube(clock);
    clusters.push(kube);
    const wrong = await new DefaultAzureCredential().getToken("https://graph.microsoft.com/.default");
    const config = kubeConfigFor({ name: "c", server: kube.url, caData: kube.caData }, async () => wrong.token);
    const rbac = config.makeApiClient(RbacAuthorizationV1Api);
    expect(await refusal(rbac.listClusterRoleBinding({}))).toMatchObject({ code: 401 });
  });

  it("accepts jitbot's EKS token for its cluster for 15 minutes, and refuses one signed for another cluster", async () => {
    const clock = new ManualClock(new Date());
    const { rbac } = await eks(clock);
    expect((await rbac.listClusterRoleBinding({})).items.length).toBeGreaterThan(0);
    const other = await eks(clock, "other-cluster");
    expect(await refusal(other.rbac.listClusterRoleBinding({}))).toMatchObject({ code: 401 });
  });

  it("refuses an EKS token once its 15 minutes have passed", async () => {
    const clock = new ManualClock(new Date());
    const kube = await startEksKube(clock, { clusterName: "prod-eks", stsOrigin: STS_ORIGIN });
    clusters.push(kube);
    const token = tokenSourceFor(
      { kind: "eks", name: "prod-eks", region: EKS_REGION },
      {
        env: { AWS_ENDPOINT_URL_STS: STS_ORIGIN },
        clock,
        awsCredentials: async () => EKS_KEYS,
        azureCredential: () => new DefaultAzureCredential(),
      },
    );
    const minted = await token();
    expect(minted).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(minted.slice("k8s-aws-v1.".length), "base64url").toString());
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-k8s-aws-id");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    await clock.advance(16 * 60_000);
    const stale = kubeConfigFor({ name: "prod-eks", server: kube.url, caData: kube.caData }, async () => minted);
    expect(await refusal(stale.makeApiClient(RbacAuthorizationV1Api).listClusterRoleBinding({}))).toMatchObject({
      code: 401,
    });
    // The token source itself mints a fresh one by then.
    expect(await token()).not.toBe(minted);
  });
});
